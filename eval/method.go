package eval

import "fmt"

// Method is an evaluation pipeline: the ReSearch loop or a FlashRAG
// baseline.
type Method string

// The methods of the paper's Table 2, in its row order.
const (
	NaiveGen   Method = "naive-gen"   // FlashRAG zero-shot generation (run_eval.py zero_shot)
	NaiveRAG   Method = "naive-rag"   // FlashRAG SequentialPipeline: top-k passages in the default RAG prompt
	IterRetGen Method = "iter-retgen" // FlashRAG IterativePipeline, 3 iterations
	IRCoT      Method = "ircot"       // FlashRAG IRCOTPipeline, up to 5 iterations
	Research   Method = "research"    // the ReSearch loop (FlashRAG ReSearchPipeline)
)

// Methods lists every method in Table 2's row order.
var Methods = []Method{NaiveGen, NaiveRAG, IterRetGen, IRCoT, Research}

// Title is the method's name as the paper's Table 2 prints it.
func (m Method) Title() string {
	switch m {
	case NaiveGen:
		return "Naive Generation"
	case NaiveRAG:
		return "Naive RAG"
	case IterRetGen:
		return "Iter-RetGen"
	case IRCoT:
		return "IRCoT"
	case Research:
		return "ReSearch"
	}
	return string(m)
}

// ParseMethod accepts a method name as a user writes it.
func ParseMethod(name string) (Method, error) {
	for _, m := range Methods {
		if Method(name) == m {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown method %q (want one of %v)", name, Methods)
}

// Iteration counts of the baselines, as scripts/evaluation/run_eval.py
// sets them.
const (
	IterRetGenIterations = 3
	IRCoTMaxIterations   = 5
)
