package judge

import (
	"fmt"
	"strings"
	"unicode"
)

// PyListRepr is Python's str() of a list of strings: "['a', \"b's\"]".
func PyListRepr(items []string) string {
	parts := make([]string, len(items))
	for i, s := range items {
		parts[i] = PyStrRepr(s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// PyStrRepr is Python 3's repr() of a str: single quotes unless the text
// holds a single quote and no double quote; backslash, the quote, \t, \n
// and \r escaped; other non-printable characters as \xhh, \uhhhh or
// \Uhhhhhhhh. Printability follows Go's Unicode tables, which may trail
// Python's by a version for newly assigned characters.
func PyStrRepr(s string) string {
	quote := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		quote = '"'
	}
	var b strings.Builder
	b.WriteByte(quote)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(quote):
			b.WriteByte('\\')
			b.WriteByte(quote)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case pyPrintable(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteByte(quote)
	return b.String()
}

// pyPrintable is str.isprintable for one character: everything but the
// categories Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs, except that the ASCII space
// is printable. Go's IsPrint draws the same line.
func pyPrintable(r rune) bool { return unicode.IsPrint(r) }
