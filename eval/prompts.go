package eval

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"research/protocol"
	"research/search"
	"research/tokenizer"
)

// The baselines' prompt texts are data copied verbatim from FlashRAG as the
// ReSearch repository vendors it (github.com/Agent-RL/ReCall, branch
// re-search, MIT licence, see ../shared/reference/LICENSE.ReSearch):
//   - zeroShotSystem, zeroShotUser: scripts/evaluation/run_eval.py, zero_shot();
//   - ragSystem, ragUser: src/flashrag/prompt/base_prompt.py,
//     PromptTemplate.base_system_prompt and base_user_prompt (the missing
//     space after "document." is theirs: two adjacent string literals);
//   - ircotInstruction, ircotExample and the IRCoT user prompt and reference
//     template: src/flashrag/pipeline/active_pipeline.py, IRCOTPipeline.
const (
	zeroShotSystem = "Answer the question based on your own knowledge. Only give me the answer and do not output any other words."
	zeroShotUser   = "Question: {question}"

	ragSystem = "Answer the question based on the given document." +
		"Only give me the answer and do not output any other words." +
		"\nThe following are given documents.\n\n{reference}"
	ragUser = "Question: {question}"

	ircotInstruction = `You serve as an intelligent assistant, adept at facilitating users through complex, multi-hop reasoning across multiple documents. This task is illustrated through demonstrations, each consisting of a document set paired with a relevant question and its multi-hop reasoning thoughts. Your task is to generate one thought for current step, DON'T generate the whole thoughts at once! If you reach what you believe to be the final step, start with "So the answer is:".`
	ircotExample     = "Wikipedia Title: Kurram Garhi\nKurram Garhi is a small village located near the city of Bannu, which is the part of Khyber Pakhtunkhwa province of Pakistan. Its population is approximately 35000. Barren hills are near this village. This village is on the border of Kurram Agency. Other nearby villages are Peppal, Surwangi and Amandi Kala.\n\nWikipedia Title: 2001–02 UEFA Champions League second group stage\nEight winners and eight runners- up from the first group stage were drawn into four groups of four teams, each containing two group winners and two runners- up. Teams from the same country or from the same first round group could not be drawn together. The top two teams in each group advanced to the quarter- finals.\n\nWikipedia Title: Satellite tournament\nA satellite tournament is either a minor tournament or event on a competitive sporting tour or one of a group of such tournaments that form a series played in the same country or region.\n\nWikipedia Title: Trojkrsti\nTrojkrsti is a village in Municipality of Prilep, Republic of Macedonia.\n\nWikipedia Title: Telephone numbers in Ascension Island\nCountry Code:+ 247< br> International Call Prefix: 00 Ascension Island does not share the same country code( +290) with the rest of St Helena.\n\nQuestion: Are both Kurram Garhi and Trojkrsti located in the same country?\nThought: Kurram Garhi is located in the country of Pakistan. Trojkrsti is located in the country of Republic of Macedonia. Thus, they are not in the same country. So the answer is: no.\n\n"
	ircotSystem      = ircotInstruction + "\n\n" + ircotExample
	ircotUser        = "{reference}Question: {question}\nThought:"
	ircotReference   = "Wikipedia Title: {title}\n{text}\n\n"

	// ircotAnswerPrefix ends an IRCoT chain (ircot_pred_parse).
	ircotAnswerPrefix = "So the answer is:"
)

// ircotStops are the stop strings of each IRCoT thought.
var ircotStops = []string{".", "\n"}

// promptTemplate is FlashRAG's PromptTemplate: a system and a user prompt
// with {question} and {reference} placeholders, rendered through the chat
// template for chat models (FlashRAG: a model whose name contains "chat"
// or "instruct", unless the pipeline disables chat) or joined by a blank
// line otherwise.
type promptTemplate struct {
	system, user string
	reference    string // per-document template with {title} and {text}; "" for FlashRAG's default
	chat         bool
}

// render is PromptTemplate.get_string(question, retrieval_result,
// previous_gen). It is applied to text and may only fail on an impossible
// chat template input, which it reports.
func (p promptTemplate) render(question string, docs []search.Doc, previousGen string) (string, error) {
	// str.format substitutes once: a placeholder inside the question or a
	// passage stays as it is, which a one-pass Replacer reproduces.
	r := strings.NewReplacer("{question}", question, "{reference}", p.formatReference(docs))
	system, user := r.Replace(p.system), r.Replace(p.user)
	var text string
	if p.chat {
		var msgs []tokenizer.Message
		if system != "" {
			msgs = append(msgs, tokenizer.Message{Role: "system", Content: system})
		}
		if user != "" {
			msgs = append(msgs, tokenizer.Message{Role: "user", Content: user})
		}
		var err error
		if text, err = tokenizer.QwenChat(msgs, true); err != nil {
			return "", err
		}
	} else {
		var parts []string
		for _, s := range []string{system, user} {
			if s != "" {
				parts = append(parts, s)
			}
		}
		text = strings.Join(parts, "\n\n")
	}
	if previousGen != "" && previousGen != " " {
		text += previousGen
	}
	return text, nil
}

// formatReference is PromptTemplate.format_reference. FlashRAG takes the
// title as the whole first line of the contents, quotes included, so a
// wiki18 passage shows as Doc 1(Title: "Title") text.
func (p promptTemplate) formatReference(docs []search.Doc) string {
	var b strings.Builder
	for i, d := range docs {
		title, text, _ := strings.Cut(d.Contents, "\n")
		if p.reference == "" {
			b.WriteString("Doc " + strconv.Itoa(i+1) + "(Title: " + title + ") " + text + "\n")
			continue
		}
		b.WriteString(strings.NewReplacer("{title}", title, "{text}", text).Replace(p.reference))
	}
	return b.String()
}

// templateOf returns the prompt template of a baseline method: the
// default (naive RAG, Iter-RetGen), the zero-shot one or IRCoT's.
func templateOf(m Method, chat bool) promptTemplate {
	switch m {
	case NaiveGen:
		return promptTemplate{system: zeroShotSystem, user: zeroShotUser, chat: chat}
	case IRCoT:
		// IRCOTPipeline builds its template with enable_chat=False.
		return promptTemplate{system: ircotSystem, user: ircotUser, reference: ircotReference}
	}
	return promptTemplate{system: ragSystem, user: ragUser, chat: chat}
}

// PromptHash identifies the prompt a method sends for a template choice: a
// SHA-256 over the prompt texts, for the run manifest.
func PromptHash(m Method, tpl protocol.Template) string {
	h := sha256.New()
	h.Write([]byte(string(m) + "\x00" + string(tpl) + "\x00"))
	if m == Research {
		h.Write([]byte(tpl.Prompt("{question}")))
	} else {
		p := templateOf(m, tpl == protocol.Instruct)
		h.Write([]byte(p.system + "\x00" + p.user + "\x00" + p.reference + "\x00" + strconv.FormatBool(p.chat)))
	}
	return hex.EncodeToString(h.Sum(nil))
}
