// Package analysis turns text into index terms the way Lucene's
// EnglishAnalyzer does, which is the default analyzer of Pyserini (and so of
// FlashRAG's BM25 retriever): standard tokenization, English possessive
// removal, lowercasing, English stop words and the Porter stemmer.
//
// The tokenizer follows the word rules of Unicode UAX #29 that matter for
// English text rather than the full table (see tokenize.go). The stemmer is
// the Porter algorithm of Martin Porter's C implementation (porter.go).
package analysis

import (
	"unicode"
	"unicode/utf8"
)

// StopWords is Lucene's English stop word set (EnglishAnalyzer's default).
var StopWords = map[string]bool{
	"a": true, "an": true, "and": true, "are": true, "as": true, "at": true,
	"be": true, "but": true, "by": true, "for": true, "if": true, "in": true,
	"into": true, "is": true, "it": true, "no": true, "not": true, "of": true,
	"on": true, "or": true, "such": true, "that": true, "the": true,
	"their": true, "then": true, "there": true, "these": true, "they": true,
	"this": true, "to": true, "was": true, "will": true, "with": true,
}

// Analyzer turns text into terms. Its zero value is ready to use; it keeps
// scratch buffers, so one Analyzer must not be used by two goroutines at once.
type Analyzer struct {
	lower []byte
	stem  []byte
}

// Each calls fn with every term of text in order. The slice passed to fn is
// only valid during the call.
func (a *Analyzer) Each(text string, fn func(term []byte)) {
	Tokenize(text, func(tok string) {
		tok = trimPossessive(tok)
		a.lower = appendLower(a.lower[:0], tok)
		if len(a.lower) == 0 || StopWords[string(a.lower)] {
			return
		}
		a.stem = Stem(a.stem[:0], a.lower)
		fn(a.stem)
	})
}

// Terms returns the terms of text.
func (a *Analyzer) Terms(text string) []string {
	var terms []string
	a.Each(text, func(t []byte) { terms = append(terms, string(t)) })
	return terms
}

// Analyze returns the terms of text using a fresh Analyzer.
func Analyze(text string) []string {
	var a Analyzer
	return a.Terms(text)
}

// trimPossessive removes a trailing 's (with an ASCII, right single or
// fullwidth apostrophe), as Lucene's EnglishPossessiveFilter does.
func trimPossessive(tok string) string {
	n := len(tok)
	if n < 2 || (tok[n-1] != 's' && tok[n-1] != 'S') {
		return tok
	}
	r, size := utf8.DecodeLastRuneInString(tok[:n-1])
	if r == '\'' || r == '\u2019' || r == '\uFF07' {
		return tok[:n-1-size]
	}
	return tok
}

// appendLower appends the lowercase form of s to dst.
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			for _, r := range s[i:] {
				dst = utf8.AppendRune(dst, unicode.ToLower(r))
			}
			return dst
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}
