package analysis

import (
	"unicode"
	"unicode/utf8"
)

// Tokenize calls fn with every word of text, following the UAX #29 word
// boundary rules that Lucene's StandardTokenizer implements, restricted to
// what matters for English-language corpora:
//
//   - a word is a run of letters and digits, joined by underscores
//     (WB5, WB8-WB10, WB13a/b); combining marks and format characters
//     stay inside the word they follow (WB4);
//   - a run of Katakana is a word of its own (WB13);
//   - an apostrophe, period, colon or middle dot between two letters stays
//     inside the word: "don't", "U.S.A", "o'neill" (WB6/WB7);
//   - a period, comma, semicolon or apostrophe between two digits stays
//     inside the number: "3.14", "1,000" (WB11/WB12);
//   - each Han ideograph and each Hiragana character is a word of its own;
//   - everything else (spaces, punctuation, symbols, emoji) separates words.
//
// Not covered: Hebrew letter specifics, emoji sequences, and the
// 255-character token cap. Those change tokens only in scripts and strings
// that an English BM25 index does not rank on.
func Tokenize(text string, fn func(tok string)) {
	start := -1   // start of the current word, -1 when outside a word
	kana := false // whether the current word is Katakana
	prev := classOther
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		c := classify(r)
		switch {
		case c == classExtend:
			// Marks and format characters stay with the character before
			// them and do not change its class (WB4).
			i += size
			continue
		case c == classIdeo:
			if start >= 0 {
				fn(text[start:i])
				start = -1
			}
			fn(text[i : i+size])
			prev = classOther
			i += size
			continue
		case c == classLetter || c == classDigit || c == classJoin || c == classKana:
			if start >= 0 && c != classJoin && prev != classJoin && kana != (c == classKana) {
				fn(text[start:i]) // Katakana and other letters do not join
				start = -1
			}
			if start < 0 {
				start, kana = i, c == classKana
			}
			prev = c
			i += size
			continue
		case start >= 0 && c == classMid:
			// Keep the mid character when the same kind of character follows.
			next, nsize := utf8.DecodeRuneInString(text[i+size:])
			nc := classify(next)
			if nsize > 0 && joinsAcross(prev, r, nc) {
				prev = nc
				i += size + nsize
				continue
			}
		}
		if start >= 0 {
			fn(text[start:i])
			start = -1
		}
		prev = classOther
		i += size
	}
	if start >= 0 {
		fn(text[start:])
	}
}

// Character classes for Tokenize.
const (
	classOther  = iota
	classLetter // letters and combining marks
	classDigit  // decimal digits
	classJoin   // underscore (ExtendNumLet)
	classMid    // characters that may join two letters or two digits
	classIdeo   // Han and Hiragana: one word per character
	classKana   // Katakana: words of their own
	classExtend // combining marks and format characters (WB4)
)

func classify(r rune) int {
	if r < utf8.RuneSelf {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
			return classLetter
		case '0' <= r && r <= '9':
			return classDigit
		case r == '_':
			return classJoin
		case r == '\'' || r == '.' || r == ':' || r == ',' || r == ';':
			return classMid
		}
		return classOther
	}
	switch {
	case unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r):
		return classIdeo
	case unicode.Is(unicode.Katakana, r) || r == '\u30FC':
		return classKana
	case unicode.IsMark(r) || unicode.Is(unicode.Cf, r):
		return classExtend
	case unicode.IsLetter(r):
		return classLetter
	case unicode.IsDigit(r):
		return classDigit
	case r == '\u2019' || r == '\u00B7' || r == '\uFF07' || r == '\u2018':
		return classMid
	case unicode.Is(unicode.Pc, r):
		return classJoin
	}
	return classOther
}

// joinsAcross reports whether mid character m keeps a word together between
// a character of class before and one of class after.
func joinsAcross(before int, m rune, after int) bool {
	switch {
	case before == classLetter && after == classLetter:
		// MidLetter and MidNumLet: ' ’ . : ·
		return m != ',' && m != ';'
	case before == classDigit && after == classDigit:
		// MidNum and MidNumLet: , ; . ' ’
		return m != ':' && m != '\u00B7'
	}
	return false
}
