// Package dataset reads question-answering datasets in the formats the
// field uses into one Example type: FlashRAG JSONL, the R1-Searcher
// benchmark JSONL, HotpotQA, MuSiQue and 2WikiMultiHopQA JSON/JSONL, and
// veRL parquet (or its JSON export). The format is recognised per record
// from its fields, so a user never names it.
package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Example is one question with its gold answers.
type Example struct {
	ID       string   `json:"id"`
	Question string   `json:"question"`
	Answers  []string `json:"golden_answers"`
	// Source names the dataset the example came from: the record's
	// data_source when it has one, else the file's base name.
	Source string `json:"source,omitempty"`
}

// AnswerSplit separates aliases inside a single ground-truth string in veRL
// datasets of the ReSearch family.
const AnswerSplit = "<|answer_split|>"

// record is one raw JSON object of a dataset file.
type record map[string]json.RawMessage

// toExample converts a record whatever its dialect:
//   - question: "question", else the last user turn of a chat "prompt";
//   - answers: "golden_answers" (FlashRAG), "reward_model.ground_truth"
//     (veRL: a list, a string with AnswerSplit, or {"target": [...]} as in
//     Search-R1), or "answer" plus "answer_aliases" (MuSiQue);
//   - id: "id", "_id" (HotpotQA), "idx" (R1-Searcher), "extra_info.id" or
//     "extra_info.index", else source and position;
//   - source: "data_source", else the given default.
func (r record) toExample(defaultSource string, position int) (Example, error) {
	var ex Example
	q, err := r.question()
	if err != nil {
		return ex, err
	}
	answers, err := r.answers()
	if err != nil {
		return ex, err
	}
	ex.Question, ex.Answers = q, answers
	ex.Source = defaultSource
	if s, ok, err := r.str("data_source"); err != nil {
		return ex, err
	} else if ok {
		ex.Source = s
	}
	if ex.ID, err = r.id(); err != nil {
		return ex, err
	}
	if ex.ID == "" {
		ex.ID = ex.Source + "-" + strconv.Itoa(position)
	}
	return ex, nil
}

func (r record) question() (string, error) {
	if q, ok, err := r.str("question"); err != nil || ok {
		return q, err
	}
	raw, ok := r["prompt"]
	if !ok {
		return "", fmt.Errorf(`no "question" or "prompt" field`)
	}
	var turns []struct{ Role, Content string }
	if err := json.Unmarshal(raw, &turns); err != nil {
		return "", fmt.Errorf(`field "prompt": want a list of {role, content} turns: %w`, err)
	}
	for i := len(turns) - 1; i >= 0; i-- {
		if turns[i].Role == "user" {
			return turns[i].Content, nil
		}
	}
	return "", fmt.Errorf(`field "prompt": no user turn`)
}

func (r record) answers() ([]string, error) {
	if raw, ok := r["golden_answers"]; ok {
		return answerList(raw, "golden_answers")
	}
	if raw, ok := r["reward_model"]; ok {
		var rm struct {
			GroundTruth json.RawMessage `json:"ground_truth"`
		}
		if err := json.Unmarshal(raw, &rm); err != nil || rm.GroundTruth == nil {
			return nil, fmt.Errorf(`field "reward_model": want an object with "ground_truth"`)
		}
		return groundTruth(rm.GroundTruth)
	}
	raw, ok := r["answer"]
	if !ok {
		return nil, fmt.Errorf(`no "golden_answers", "reward_model" or "answer" field`)
	}
	answers, err := answerList(raw, "answer")
	if err != nil {
		return nil, err
	}
	if raw, ok := r["answer_aliases"]; ok {
		var aliases []string
		if err := json.Unmarshal(raw, &aliases); err != nil {
			return nil, fmt.Errorf(`field "answer_aliases": want a list of strings: %w`, err)
		}
		answers = append(answers, aliases...)
	}
	return answers, nil
}

// groundTruth reads veRL's reward_model.ground_truth in its three shapes.
func groundTruth(raw json.RawMessage) ([]string, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.Split(s, AnswerSplit), nil
	}
	var target struct {
		Target json.RawMessage `json:"target"`
	}
	if json.Unmarshal(raw, &target) == nil && target.Target != nil {
		return answerList(target.Target, "reward_model.ground_truth.target")
	}
	return answerList(raw, "reward_model.ground_truth")
}

// Answers is a list of gold answers that reads from JSON written either as
// a list or as a single string or number.
type Answers []string

// UnmarshalJSON implements json.Unmarshaler.
func (a *Answers) UnmarshalJSON(raw []byte) error {
	list, err := answerList(raw, "")
	*a = list
	return err
}

// answerList accepts a string or a list of strings (numbers are taken as
// their JSON text, as some datasets store years as numbers).
func answerList(raw json.RawMessage, field string) ([]string, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		items = []json.RawMessage{raw}
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, err := scalarString(it)
		if err != nil {
			return nil, fieldError(field, err)
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fieldError(field, errors.New("no answers"))
	}
	return out, nil
}

func fieldError(field string, err error) error {
	if field == "" {
		return err
	}
	return fmt.Errorf("field %q: %w", field, err)
}

// scalarString reads a JSON string or number as text.
func scalarString(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String(), nil
	}
	return "", fmt.Errorf("want a string or number, got %.40s", raw)
}

// str reads an optional string field; ok is false when it is absent or null.
func (r record) str(field string) (s string, ok bool, err error) {
	raw, present := r[field]
	if !present || string(raw) == "null" {
		return "", false, nil
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, fmt.Errorf("field %q: want a string, got %.40s", field, raw)
	}
	return s, true, nil
}

func (r record) id() (string, error) {
	for _, field := range []string{"id", "_id", "idx"} {
		if raw, ok := r[field]; ok && string(raw) != "null" {
			s, err := scalarString(raw)
			if err != nil {
				return "", fmt.Errorf("field %q: %w", field, err)
			}
			return s, nil
		}
	}
	if raw, ok := r["extra_info"]; ok {
		var info record
		if json.Unmarshal(raw, &info) == nil {
			for _, field := range []string{"id", "index"} {
				if v, ok := info[field]; ok {
					if s, err := scalarString(v); err == nil {
						return s, nil
					}
				}
			}
		}
	}
	return "", nil
}
