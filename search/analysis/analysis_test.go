package analysis

import (
	"bufio"
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestPorterReference compares Stem with word/stem pairs from NLTK's
// Porter stemmer (Martin Porter's C variant), cross-checked with Snowball's
// porter; see testdata/make_porter_fixture.py.
func TestPorterReference(t *testing.T) {
	f, err := os.Open("testdata/porter_nltk.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n, bad := 0, 0
	for sc.Scan() {
		word, want, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			t.Fatalf("line %d: no tab", n+1)
		}
		n++
		if got := string(Stem(nil, []byte(word))); got != want {
			bad++
			if bad <= 20 {
				t.Errorf("Stem(%q) = %q, want %q", word, got, want)
			}
		}
	}
	if n < 1000 {
		t.Fatalf("only %d reference pairs read", n)
	}
	if bad > 0 {
		t.Errorf("%d of %d stems differ", bad, n)
	}
}

// TestPorterClassic checks the examples of Porter's 1980 paper that the C
// version keeps, and its two departures (bli -> ble, logi -> log).
func TestPorterClassic(t *testing.T) {
	cases := map[string]string{
		"caresses": "caress", "ponies": "poni", "ties": "ti", "caress": "caress", "cats": "cat",
		"feed": "feed", "agreed": "agre", "plastered": "plaster", "bled": "bled", "motoring": "motor",
		"sing": "sing", "conflated": "conflat", "troubled": "troubl", "sized": "size", "hopping": "hop",
		"tanned": "tan", "falling": "fall", "hissing": "hiss", "fizzed": "fizz", "failing": "fail",
		"filing": "file", "happy": "happi", "sky": "sky", "relational": "relat", "conditional": "condit",
		"rational": "ration", "valenci": "valenc", "digitizer": "digit", "conformabli": "conform",
		"radicalli": "radic", "differentli": "differ", "vileli": "vile", "analogousli": "analog",
		"vietnamization": "vietnam", "predication": "predic", "operator": "oper", "feudalism": "feudal",
		"decisiveness": "decis", "hopefulness": "hope", "callousness": "callous", "formaliti": "formal",
		"sensitiviti": "sensit", "sensibiliti": "sensibl", "triplicate": "triplic", "formative": "form",
		"formalize": "formal", "electriciti": "electr", "electrical": "electr", "hopeful": "hope",
		"goodness": "good", "revival": "reviv", "allowance": "allow", "inference": "infer",
		"airliner": "airlin", "gyroscopic": "gyroscop", "adjustable": "adjust", "defensible": "defens",
		"irritant": "irrit", "replacement": "replac", "adjustment": "adjust", "dependent": "depend",
		"adoption": "adopt", "homologou": "homolog", "communism": "commun", "activate": "activ",
		"angulariti": "angular", "homologous": "homolog", "effective": "effect", "bowdlerize": "bowdler",
		"probate": "probat", "rate": "rate", "cease": "ceas", "controll": "control", "roll": "roll",
		"generalli": "gener", "archaeology": "archaeolog", "as": "as", "a": "a",
	}
	for w, want := range cases {
		if got := string(Stem(nil, []byte(w))); got != want {
			t.Errorf("Stem(%q) = %q, want %q", w, got, want)
		}
	}
}

func TestAnalyze(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"The Quick brown foxes jumped", []string{"quick", "brown", "fox", "jump"}},
		{"Obama's father's house", []string{"obama", "father", "hous"}},
		{"Obama’s policies", []string{"obama", "polici"}},
		{"don't stop", []string{"don't", "stop"}},
		{"U.S.A. in 1,000.5 years", []string{"u.s.a", "1,000.5", "year"}},
		{"end. Start", []string{"end", "start"}},
		{"foo_bar e-mail", []string{"foo_bar", "e", "mail"}},
		{"Café Zürich", []string{"café", "zürich"}},
		{"東京 tower", []string{"東", "京", "tower"}},
		{"\"Kansas Song\"\nKansas Song is the fight song", []string{"kansa", "song", "kansa", "song", "fight", "song"}},
		{"", nil},
		{"  ... !!", nil},
		{"a the and of", nil},
		{"x'", []string{"x"}},
		{"'s", []string{"s"}},
	}
	for _, c := range cases {
		if got := Analyze(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Analyze(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzAnalyze(f *testing.F) {
	for _, s := range []string{"The cat's hat", "3.14 U.S.A", "東京", "a''b..c", "\xff\xfe", "x’"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, term := range Analyze(s) {
			if term == "" {
				t.Fatalf("empty term from %q", s)
			}
			if strings.ContainsAny(term, " \t\n") {
				t.Fatalf("term %q with a space from %q", term, s)
			}
		}
	})
}
