package analysis

import "unicode/utf8"

// This file is the Porter stemming algorithm in the form of Martin Porter's
// ANSI C reference implementation, which is also what Lucene's
// PorterStemFilter (and hence Pyserini's default analyzer) runs. It differs
// from the 1980 paper in the two "departures" of the C version: step 2 maps
// -bli to -ble (not -abli to -able) and -logi to -log.
//
// The stemmer works on bytes. Lucene's works on UTF-16 characters, every
// one but a-e-i-o-u(-y) a consonant; to count characters as it does, a word
// with non-ASCII letters is stemmed with each of them replaced by one
// placeholder consonant byte, and they are put back afterwards (stemming
// only ever rewrites ASCII suffixes).

// stemmer holds the word being stemmed: b[0..k] is the current word and j
// marks the end of the stem found by the last successful ends.
type stemmer struct {
	b []byte
	k int
	j int
}

// placeholder stands for a non-ASCII character while stemming.
const placeholder = 0x80

// Stem appends the Porter stem of the lowercase word w to dst and returns
// it. Words of one or two characters are returned unchanged.
func Stem(dst, w []byte) []byte {
	for _, c := range w {
		if c >= utf8.RuneSelf {
			return stemUnicode(dst, w)
		}
	}
	return stemASCII(dst, w)
}

// stemUnicode stems w with its non-ASCII characters as placeholders.
func stemUnicode(dst, w []byte) []byte {
	var runes []rune
	var masked []byte
	for _, r := range string(w) {
		runes = append(runes, r)
		if r < utf8.RuneSelf {
			masked = append(masked, byte(r))
		} else {
			masked = append(masked, placeholder)
		}
	}
	stem := stemASCII(nil, masked)
	for i, c := range stem {
		if c == placeholder {
			dst = utf8.AppendRune(dst, runes[i])
		} else {
			dst = append(dst, c)
		}
	}
	return dst
}

// stemASCII stems w one byte per character.
func stemASCII(dst, w []byte) []byte {
	start := len(dst)
	dst = append(dst, w...)
	if len(w) <= 2 {
		return dst
	}
	s := stemmer{b: dst[start:], k: len(w) - 1}
	s.step1ab()
	if s.k > 0 {
		s.step1c()
		s.step2()
		s.step3()
		s.step4()
		s.step5()
	}
	return append(dst[:start], s.b[:s.k+1]...)
}

// cons reports whether b[i] is a consonant: not a, e, i, o, u, and not a y
// that follows a consonant.
func (s *stemmer) cons(i int) bool {
	switch s.b[i] {
	case 'a', 'e', 'i', 'o', 'u':
		return false
	case 'y':
		return i == 0 || !s.cons(i-1)
	}
	return true
}

// m is the measure of b[0..j]: the number of vowel-consonant sequences in
// [C](VC)^m[V].
func (s *stemmer) m() int {
	n, i := 0, 0
	for {
		if i > s.j {
			return n
		}
		if !s.cons(i) {
			break
		}
		i++
	}
	i++
	for {
		for {
			if i > s.j {
				return n
			}
			if s.cons(i) {
				break
			}
			i++
		}
		i++
		n++
		for {
			if i > s.j {
				return n
			}
			if !s.cons(i) {
				break
			}
			i++
		}
		i++
	}
}

// vowelInStem reports whether b[0..j] contains a vowel.
func (s *stemmer) vowelInStem() bool {
	for i := 0; i <= s.j; i++ {
		if !s.cons(i) {
			return true
		}
	}
	return false
}

// doublec reports whether b[i-1..i] is a double consonant.
func (s *stemmer) doublec(i int) bool {
	return i >= 1 && s.b[i] == s.b[i-1] && s.cons(i)
}

// cvc reports whether b[i-2..i] is consonant-vowel-consonant with the last
// consonant not w, x or y: the condition for restoring an e (hop -> hope).
func (s *stemmer) cvc(i int) bool {
	if i < 2 || !s.cons(i) || s.cons(i-1) || !s.cons(i-2) {
		return false
	}
	switch s.b[i] {
	case 'w', 'x', 'y':
		return false
	}
	return true
}

// ends reports whether b[0..k] ends with suffix and, if so, sets j to the
// end of the stem before it.
func (s *stemmer) ends(suffix string) bool {
	n := len(suffix)
	if n > s.k+1 || string(s.b[s.k+1-n:s.k+1]) != suffix {
		return false
	}
	s.j = s.k - n
	return true
}

// setto replaces b[j+1..k] with r.
func (s *stemmer) setto(r string) {
	s.b = append(s.b[:s.j+1], r...)
	s.k = s.j + len(r)
}

// r replaces the suffix with rep when the stem has a measure above zero.
func (s *stemmer) r(rep string) {
	if s.m() > 0 {
		s.setto(rep)
	}
}

// step1ab removes plurals and -ed or -ing.
func (s *stemmer) step1ab() {
	if s.b[s.k] == 's' {
		switch {
		case s.ends("sses"):
			s.k -= 2
		case s.ends("ies"):
			s.setto("i")
		case s.b[s.k-1] != 's':
			s.k--
		}
	}
	if s.ends("eed") {
		if s.m() > 0 {
			s.k--
		}
		return
	}
	if (s.ends("ed") || s.ends("ing")) && s.vowelInStem() {
		s.k = s.j
		switch {
		case s.ends("at"):
			s.setto("ate")
		case s.ends("bl"):
			s.setto("ble")
		case s.ends("iz"):
			s.setto("ize")
		case s.doublec(s.k):
			s.k--
			switch s.b[s.k] {
			case 'l', 's', 'z':
				s.k++
			}
		default:
			s.j = s.k
			if s.m() == 1 && s.cvc(s.k) {
				s.setto("e")
			}
		}
	}
}

// step1c turns a terminal y into i when the stem has a vowel.
func (s *stemmer) step1c() {
	if s.ends("y") && s.vowelInStem() {
		s.b[s.k] = 'i'
	}
}

// suffixRule maps a suffix to its replacement.
type suffixRule struct{ suffix, rep string }

// step2Rules are keyed by the penultimate letter, as in the C version; the
// first suffix that matches decides, whether or not the measure allows the
// replacement.
var step2Rules = map[byte][]suffixRule{
	'a': {{"ational", "ate"}, {"tional", "tion"}},
	'c': {{"enci", "ence"}, {"anci", "ance"}},
	'e': {{"izer", "ize"}},
	'l': {{"bli", "ble"}, {"alli", "al"}, {"entli", "ent"}, {"eli", "e"}, {"ousli", "ous"}},
	'o': {{"ization", "ize"}, {"ation", "ate"}, {"ator", "ate"}},
	's': {{"alism", "al"}, {"iveness", "ive"}, {"fulness", "ful"}, {"ousness", "ous"}},
	't': {{"aliti", "al"}, {"iviti", "ive"}, {"biliti", "ble"}},
	'g': {{"logi", "log"}},
}

// step3Rules are keyed by the last letter.
var step3Rules = map[byte][]suffixRule{
	'e': {{"icate", "ic"}, {"ative", ""}, {"alize", "al"}},
	'i': {{"iciti", "ic"}},
	'l': {{"ical", "ic"}, {"ful", ""}},
	's': {{"ness", ""}},
}

// applyFirst applies the first rule whose suffix matches.
func (s *stemmer) applyFirst(rules []suffixRule) {
	for _, r := range rules {
		if s.ends(r.suffix) {
			s.r(r.rep)
			return
		}
	}
}

// step2 maps double suffixes to single ones (-ization -> -ize).
func (s *stemmer) step2() {
	if s.k < 1 {
		return
	}
	s.applyFirst(step2Rules[s.b[s.k-1]])
}

// step3 handles -ic-, -full, -ness and the like.
func (s *stemmer) step3() {
	s.applyFirst(step3Rules[s.b[s.k]])
}

// step4Suffixes are keyed by the penultimate letter; -ion is special-cased.
var step4Suffixes = map[byte][]string{
	'a': {"al"},
	'c': {"ance", "ence"},
	'e': {"er"},
	'i': {"ic"},
	'l': {"able", "ible"},
	'n': {"ant", "ement", "ment", "ent"},
	's': {"ism"},
	't': {"ate", "iti"},
	'u': {"ous"},
	'v': {"ive"},
	'z': {"ize"},
}

// step4 removes -ant, -ence and the like when the measure is above one.
func (s *stemmer) step4() {
	if s.k < 1 {
		return
	}
	found := false
	if s.b[s.k-1] == 'o' {
		found = s.ends("ion") && s.j >= 0 && (s.b[s.j] == 's' || s.b[s.j] == 't') || s.ends("ou")
	} else {
		for _, suf := range step4Suffixes[s.b[s.k-1]] {
			if s.ends(suf) {
				found = true
				break
			}
		}
	}
	if found && s.m() > 1 {
		s.k = s.j
	}
}

// step5 removes a final -e and turns -ll into -l when the measure allows.
func (s *stemmer) step5() {
	s.j = s.k
	if s.b[s.k] == 'e' {
		a := s.m()
		if a > 1 || a == 1 && !s.cvc(s.k-1) {
			s.k--
		}
	}
	if s.b[s.k] == 'l' && s.doublec(s.k) && s.m() > 1 {
		s.k--
	}
}
