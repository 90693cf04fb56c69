package jsonscan

// ValidateVisit is Validate that shows v the keys and values at depths 0
// to depth as they are validated (see Visitor), so that a caller indexes
// a document in the pass that validates it. Unlike ValidatePlain it does
// not also check for plain text, which costs more on every string.
func ValidateVisit(doc []byte, v Visitor, depth int) error {
	dirty := true
	return validate(doc, &dirty, v, depth)
}
