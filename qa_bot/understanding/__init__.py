"""Reading the question: what it asks, who it is about, which outlets and dates, and follow-up condensation."""
