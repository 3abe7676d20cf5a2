package tokenizer

import (
	"slices"
	"strings"
)

// addedMatcher finds added tokens in text, leftmost-longest, as HF's
// Aho-Corasick matcher does.
type addedMatcher struct {
	tokens    []AddedToken // longest match string first
	match     []string     // the string looked for, per token
	firstByte [256]bool
}

// newAddedMatcher builds a matcher for tokens, looking for form(content).
func newAddedMatcher(tokens []AddedToken, form func(string) string) addedMatcher {
	var m addedMatcher
	m.tokens = slices.Clone(tokens)
	slices.SortStableFunc(m.tokens, func(a, b AddedToken) int { return len(form(b.Content)) - len(form(a.Content)) })
	for _, a := range m.tokens {
		s := form(a.Content)
		m.match = append(m.match, s)
		m.firstByte[s[0]] = true
	}
	return m
}

// find returns the leftmost-longest added token in text and the span it
// covers, stripped whitespace included; tok is nil when there is none.
// Special tokens are skipped unless special is set.
func (m *addedMatcher) find(text string, special bool) (start, end int, tok *AddedToken) {
	if len(m.tokens) == 0 {
		return 0, 0, nil
	}
	for i := 0; i < len(text); i++ {
		if !m.firstByte[text[i]] {
			continue
		}
		for k := range m.tokens {
			a := &m.tokens[k]
			if (a.Special && !special) || !strings.HasPrefix(text[i:], m.match[k]) {
				continue
			}
			start, end = i, i+len(m.match[k])
			if a.LStrip {
				start = len(strings.TrimRightFunc(text[:start], isSpace))
			}
			if a.RStrip {
				end = len(text) - len(strings.TrimLeftFunc(text[end:], isSpace))
			}
			return start, end, a
		}
	}
	return 0, 0, nil
}

func isSpace(r rune) bool { return slowClass(r)&cSpace != 0 }
