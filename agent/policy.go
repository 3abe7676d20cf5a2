package agent

import (
	"fmt"
	"strings"

	"research/generate"
	"research/model"
	"research/policy"
	"research/rollout"
	"research/tokenizer"
)

// PolicyConfig names the policy: an in-process model (Model) or remote
// servers (URL); neither means none.
type PolicyConfig struct {
	Model     string // a model directory (config.json + safetensors) or .gguf file
	DType     string // how the in-process model keeps its weight matrices: f32 (default) or bf16, half the bytes per decode step, inference only (model.BF16)
	URL       string // base URLs of OpenAI-compatible or SGLang servers, comma-separated; several share the load
	API       string // the servers' API: openai (default) or sglang
	ModelName string // the model name to ask the servers for
	APIKey    string
	// Sampling; a temperature of 0 is greedy.
	Temperature, TopP float64
	Seed              uint64 // of the in-process engine
}

func (a *Agent) openPolicy(c PolicyConfig) error {
	dtype, err := model.ParseDType(c.DType)
	if err != nil {
		return fieldError("dtype", err)
	}
	switch {
	case c.Model != "" && c.URL != "":
		return fieldError("model", fmt.Errorf("an in-process model and a remote policy (%s) at once", c.URL))
	case c.URL != "" && dtype != model.F32:
		// A server keeps its weights as it was started; say so rather
		// than pretend.
		return fieldError("dtype", fmt.Errorf("%s applies to an in-process model, not to the remote policy at %s", dtype, c.URL))
	case c.URL != "":
		var backends []rollout.Policy
		for _, url := range strings.Split(c.URL, ",") {
			p, err := remotePolicy(c, strings.TrimSpace(url), a.Tokenizer)
			if err != nil {
				return err
			}
			backends = append(backends, p)
		}
		if len(backends) == 1 {
			a.Policy = backends[0]
			return nil
		}
		r, err := policy.NewRouter(backends...)
		a.Policy = r
		return err
	case c.Model == "":
		return nil
	}
	m, err := model.LoadAs(c.Model, dtype)
	if err != nil {
		return fieldError("model", err)
	}
	a.Model = m
	a.closers = append(a.closers, func() { m.Close() })
	a.EOSIDs = rollout.StopIDs(a.Tokenizer, m.Config.EOSTokenIDs)
	tok := a.Tokenizer
	e, err := generate.NewEngine(m, generate.Options{
		Sampling: generate.Sampling{Temperature: c.Temperature, TopP: c.TopP, Seed: c.Seed},
		Decoder:  generate.DecoderFunc(func(ids []int) string { s, _ := tok.Decode(ids, false); return s }),
	})
	if err != nil {
		return err
	}
	a.closers = append(a.closers, e.Close)
	a.Policy = policy.Local{Engine: e}
	return nil
}

// remotePolicy is a policy on the server at url.
func remotePolicy(c PolicyConfig, url string, tok *tokenizer.Tokenizer) (rollout.Policy, error) {
	switch c.API {
	case "openai", "":
		return policy.NewOpenAI(policy.OpenAIConfig{BaseURL: url, APIKey: c.APIKey, Model: c.ModelName,
			Temperature: c.Temperature, TopP: c.TopP, TokenPrompt: true}, tok)
	case "sglang":
		return policy.NewSGLang(policy.SGLangConfig{URL: url, APIKey: c.APIKey, Temperature: c.Temperature, TopP: c.TopP})
	}
	return nil, fieldError("api", fmt.Errorf("%q: want openai or sglang", c.API))
}
