"""loanbook: a commercial loan agreement made computable."""
