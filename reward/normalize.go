package reward

import (
	"strings"
	"unicode"

	"research/protocol"
)

// Normalize is SQuAD's normalize_answer as FlashRAG and the ReSearch reward
// use it: lower-case, drop ASCII punctuation, replace the articles a, an and
// the by a space, and collapse whitespace. Each step follows Python 3's
// semantics, which differ from Go's defaults on non-ASCII text: str.lower()
// applies the full Unicode mapping (İ becomes i + U+0307, a word-final Σ
// becomes ς), re's \b is a Unicode word boundary, and str.split() splits on
// Unicode whitespace including U+001C–U+001F.
func Normalize(s string) string {
	return strings.Join(protocol.Fields(removeArticles(removePunct(pyLower(s)))), " ")
}

// asciiPunct is Python's string.punctuation.
const asciiPunct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

func removePunct(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x80 && strings.ContainsRune(asciiPunct, r) {
			return -1
		}
		return r
	}, s)
}

// removeArticles is re.sub(r"\b(a|an|the)\b", " ", s) on a str pattern:
// at each position the alternatives are tried in order, and both boundaries
// are judged on the original text.
func removeArticles(s string) string {
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(rs); {
		if n := articleAt(rs, i); n > 0 {
			b.WriteByte(' ')
			i += n
			continue
		}
		b.WriteRune(rs[i])
		i++
	}
	return b.String()
}

var articles = [][]rune{[]rune("a"), []rune("an"), []rune("the")}

// articleAt returns the length of the article matched at rs[i:] between two
// word boundaries, or 0.
func articleAt(rs []rune, i int) int {
	if !boundary(rs, i) {
		return 0
	}
	for _, a := range articles {
		j := i + len(a)
		if j <= len(rs) && string(rs[i:j]) == string(a) && boundary(rs, j) {
			return len(a)
		}
	}
	return 0
}

// boundary is re's \b at position i: a word character on exactly one side.
func boundary(rs []rune, i int) bool {
	before := i > 0 && isWordRune(rs[i-1])
	after := i < len(rs) && isWordRune(rs[i])
	return before != after
}

// isWordRune is \w for a Python str pattern: str.isalnum() or underscore.
// Combining marks are not word characters there.
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}
