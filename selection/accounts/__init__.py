"""User accounts (账户): logging in and out, passwords, and the administrator's account pages."""
