package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// Pattern names a pre-tokenizer split regex. Go's regexp has no lookahead,
// and a backtracking engine is slow, so each pattern is a hand-written
// scanner that reproduces the leftmost-first alternation of the regex
// exactly, with Unicode's letter (L), number (N) and White_Space classes.
type Pattern int

const (
	// PatternGPT2 is GPT-2's pattern, also HF's ByteLevel(use_regex=true):
	//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
	PatternGPT2 Pattern = iota + 1
	// PatternQwen2 is the Qwen2/Qwen2.5 pattern:
	//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|
	//    ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
	PatternQwen2
)

// The regex strings as they appear in tokenizer.json files.
const (
	gpt2Regex  = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
	qwen2Regex = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

func (p Pattern) String() string {
	switch p {
	case PatternGPT2:
		return "gpt2"
	case PatternQwen2:
		return "qwen2"
	}
	return "unknown"
}

// class is a set of the character classes the patterns test.
type class uint8

const (
	cLetter  class = 1 << iota // \p{L}
	cNumber                    // \p{N}
	cSpace                     // \s, Unicode White_Space (has U+0085, lacks U+FEFF)
	cNewline                   // \r or \n, always with cSpace
)

var asciiClass [utf8.RuneSelf]class

func init() {
	for r := rune(0); r < utf8.RuneSelf; r++ {
		asciiClass[r] = slowClass(r)
	}
}

func slowClass(r rune) class {
	switch {
	case r == '\r' || r == '\n':
		return cSpace | cNewline
	case unicode.IsLetter(r):
		return cLetter
	case unicode.IsNumber(r):
		return cNumber
	case unicode.Is(unicode.White_Space, r):
		return cSpace
	}
	return 0
}

// runeAt decodes the rune at s[i] and its class. Input is valid UTF-8.
func runeAt(s string, i int) (rune, int, class) {
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1, asciiClass[c]
	}
	r, w := utf8.DecodeRuneInString(s[i:])
	return r, w, slowClass(r)
}

// scanClass returns the end of the run of runes from i that are in want.
func scanClass(s string, i int, want class) int {
	for i < len(s) {
		_, w, c := runeAt(s, i)
		if c&want == 0 {
			break
		}
		i += w
	}
	return i
}

// scanPunct returns the end of the run of runes from i in [^\s\p{L}\p{N}].
func scanPunct(s string, i int) int {
	for i < len(s) {
		_, w, c := runeAt(s, i)
		if c != 0 {
			break
		}
		i += w
	}
	return i
}

// contraction returns the length of 's 't 're 've 'm 'll 'd at s[i], which
// holds an apostrophe, or 0. foldCase makes the letters case-insensitive.
func contraction(s string, i int, foldCase bool) int {
	lower := func(j int) byte {
		if j >= len(s) {
			return 0
		}
		c := s[j]
		if foldCase && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		return c
	}
	switch lower(i + 1) {
	case 's', 't', 'm', 'd':
		return 2
	case 'r', 'v':
		if lower(i+2) == 'e' {
			return 3
		}
	case 'l':
		if lower(i+2) == 'l' {
			return 3
		}
	}
	return 0
}

// spaceEnd handles the whitespace alternatives \s+(?!\S)|\s+ for a
// whitespace run starting at i: the run minus its last rune when a
// non-space follows it, so that the last space can lead the next word.
func spaceEnd(s string, i int) int {
	end, last := i, i
	for end < len(s) {
		_, w, c := runeAt(s, end)
		if c&cSpace == 0 {
			break
		}
		last = end
		end += w
	}
	if end < len(s) && last > i {
		return last
	}
	return end
}

// next returns the end of the pre-token that starts at s[i].
func (p Pattern) next(s string, i int) int {
	if p == PatternQwen2 {
		return nextQwen2(s, i)
	}
	return nextGPT2(s, i)
}

func nextGPT2(s string, i int) int {
	r, w, c := runeAt(s, i)
	if r == '\'' {
		if n := contraction(s, i, false); n > 0 {
			return i + n
		}
	}
	start := i
	if r == ' ' && i+w < len(s) {
		start = i + w
		_, _, c = runeAt(s, start)
	}
	switch {
	case c&cLetter != 0:
		return scanClass(s, start, cLetter)
	case c&cNumber != 0:
		return scanClass(s, start, cNumber)
	case c == 0:
		return scanPunct(s, start)
	}
	return spaceEnd(s, i)
}

func nextQwen2(s string, i int) int {
	r, w, c := runeAt(s, i)
	if r == '\'' {
		if n := contraction(s, i, true); n > 0 {
			return i + n
		}
	}
	// [^\r\n\p{L}\p{N}]?\p{L}+
	if c&cLetter != 0 {
		return scanClass(s, i+w, cLetter)
	}
	if c&(cNewline|cNumber) == 0 && i+w < len(s) {
		if _, w2, c2 := runeAt(s, i+w); c2&cLetter != 0 {
			return scanClass(s, i+w+w2, cLetter)
		}
	}
	// \p{N}
	if c&cNumber != 0 {
		return i + w
	}
	//  ?[^\s\p{L}\p{N}]+[\r\n]*
	start := i
	if r == ' ' && i+w < len(s) {
		start = i + w
	}
	if start < len(s) {
		if _, _, c2 := runeAt(s, start); c2 == 0 {
			j := scanPunct(s, start)
			for j < len(s) && (s[j] == '\r' || s[j] == '\n') {
				j++
			}
			return j
		}
	}
	// \s*[\r\n]+ : through the last newline of the whitespace run.
	newline := -1
	for j := i; j < len(s); {
		_, w, c := runeAt(s, j)
		if c&cSpace == 0 {
			break
		}
		if c&cNewline != 0 {
			newline = j
		}
		j += w
	}
	if newline >= 0 {
		return newline + 1
	}
	return spaceEnd(s, i)
}
