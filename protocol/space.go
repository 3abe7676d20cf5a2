package protocol

import (
	"strings"
	"unicode"
)

// IsSpace reports whether r is whitespace for Python's str.isspace, which
// the reference's strip() and split() use. It is Go's unicode.IsSpace plus
// the ASCII separators U+001C–U+001F.
func IsSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// TrimSpace is Python's str.strip() with no argument.
func TrimSpace(s string) string { return strings.TrimFunc(s, IsSpace) }

// Fields is Python's str.split() with no argument.
func Fields(s string) []string { return strings.FieldsFunc(s, IsSpace) }
