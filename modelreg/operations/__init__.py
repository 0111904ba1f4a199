"""What changes a repository or judges a change: register, promote, rollback, check, init, pull, remote
checks, doctor, CODEOWNERS, transactions."""
