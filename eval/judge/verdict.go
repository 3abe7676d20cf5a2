package judge

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Verdict is the judge's decision on one prediction. Judgement is
// "correct", "incorrect", or "" when the judge failed after its retries
// (Error says why); a failure counts as not correct.
type Verdict struct {
	Judgement string `json:"judgement"`
	Rationale string `json:"rationale,omitempty"`
	Model     string `json:"model"`
	Error     string `json:"error,omitempty"`
	Attempts  int    `json:"attempts"`
	Cached    bool   `json:"cached,omitempty"`
}

// Judgements a verdict can hold.
const (
	Correct   = "correct"
	Incorrect = "incorrect"
)

// IsCorrect reports whether the judge said correct.
func (v *Verdict) IsCorrect() bool { return v != nil && v.Judgement == Correct }

// Failed reports whether the judge gave no verdict.
func (v *Verdict) Failed() bool { return v != nil && v.Judgement == "" }

// judgementField finds a judgement in text that is not valid JSON.
var judgementField = regexp.MustCompile(`(?i)["']?judge?ment["']?\s*:\s*["']?\s*(correct|incorrect)\b`)

// Parse reads a verdict from the judge's reply. It accepts the JSON object
// the prompt asks for, bare or inside a ```json fence or other text, with
// the judgement in any case and surrounding space; failing that, a
// "judgement": "…" field in otherwise broken JSON. Anything else is an
// error, so that the caller retries.
func Parse(content string) (judgement, rationale string, err error) {
	for _, obj := range objects(content) {
		var v struct {
			Judgement *string `json:"judgement"`
			Rationale any     `json:"rationale"`
		}
		if json.Unmarshal([]byte(obj), &v) == nil && v.Judgement != nil {
			j := strings.ToLower(strings.TrimSpace(*v.Judgement))
			if j != Correct && j != Incorrect {
				return "", "", fmt.Errorf("judgement %q is neither %q nor %q", *v.Judgement, Correct, Incorrect)
			}
			if s, ok := v.Rationale.(string); ok {
				rationale = s
			} else if v.Rationale != nil {
				b, _ := json.Marshal(v.Rationale)
				rationale = string(b)
			}
			return j, rationale, nil
		}
	}
	if m := judgementField.FindStringSubmatch(content); m != nil {
		return strings.ToLower(m[1]), "", nil
	}
	if strings.TrimSpace(content) == "" {
		return "", "", errors.New("empty reply")
	}
	return "", "", fmt.Errorf("no judgement in reply %.200q", content)
}

// objects returns the balanced {…} spans of s that parse as JSON, in
// order, tracking strings so that braces inside them do not count.
func objects(s string) []string {
	var found []string
	for start := strings.IndexByte(s, '{'); start >= 0; {
		end := -1
		depth, inString, escaped := 0, false, false
		for i := start; i < len(s); i++ {
			c := s[i]
			switch {
			case escaped:
				escaped = false
			case inString && c == '\\':
				escaped = true
			case c == '"':
				inString = !inString
			case inString:
			case c == '{':
				depth++
			case c == '}':
				depth--
				if depth == 0 && json.Valid([]byte(s[start:i+1])) {
					found, end = append(found, s[start:i+1]), i
				}
			}
			if depth == 0 && !inString {
				break
			}
		}
		if end < 0 {
			end = start // not an object: look inside it
		}
		next := strings.IndexByte(s[end+1:], '{')
		if next < 0 {
			break
		}
		start = end + 1 + next
	}
	return found
}
