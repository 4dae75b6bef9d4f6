"""One module per input format, each turning decoded content into validated articles."""
