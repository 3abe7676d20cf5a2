package server

import (
	"errors"
	"fmt"
	"math"
	"net/http"

	"research/tinker"
	"research/train"
)

// prepared is a checked forward_backward: per datum the sequence to score
// (the model input plus the last target, scored from position 1, so that
// logprob j is that of target_tokens[j] after input[:j+1]) and the loss's
// inputs as float64s.
type prepared struct {
	spec   tinker.LossSpec
	seqs   []train.Sequence
	inputs []map[string][]float64
	tokens int
}

// prepare checks a forward_backward request against the model and the
// loss, naming the first bad field. Targets must be the input shifted by
// one (target_tokens[i] = input[i+1]): the engine scores the sequence's own
// next tokens, which is how the SDK's users build data.
func (s *Server) prepare(in tinker.ForwardBackwardInput, forwardOnly bool) (*prepared, error) {
	spec, err := tinker.ParseLoss(in.LossFn, in.LossFnConfig)
	if err != nil {
		return nil, err
	}
	vocab := s.cfg.Model.Config.VocabSize
	p := &prepared{spec: spec}
	for i, d := range in.Data {
		path := fmt.Sprintf("data[%d]", i)
		toks := d.ModelInput.Tokens()
		n := len(toks)
		if n == 0 {
			return nil, &tinker.FieldError{Field: path + ".model_input", Msg: "no tokens"}
		}
		p.tokens += n + 1
		if p.tokens > s.cfg.MaxTokens {
			return nil, &tinker.FieldError{Field: "data", Msg: fmt.Sprintf("more than %d tokens in one request; split it", s.cfg.MaxTokens)}
		}
		if lim := s.cfg.Model.Config.MaxPositions; lim > 0 && n+1 > lim {
			return nil, &tinker.FieldError{Field: path + ".model_input", Msg: fmt.Sprintf("%d tokens: the model's context is %d", n, lim)}
		}
		for j, t := range toks {
			if t < 0 || t >= vocab {
				return nil, &tinker.FieldError{Field: path + ".model_input", Msg: fmt.Sprintf("token %d is %d: want 0..%d", j, t, vocab-1)}
			}
		}
		want := spec.Inputs()
		for k := range d.LossFnInputs {
			found := false
			for _, w := range want {
				found = found || w == k
			}
			if !found {
				return nil, &tinker.FieldError{Field: path + ".loss_fn_inputs." + k, Msg: fmt.Sprintf("not an input of %s (it takes %v)", spec.Name, want)}
			}
		}
		vals := map[string][]float64{}
		for _, k := range want {
			fp := path + ".loss_fn_inputs." + k
			t, ok := d.LossFnInputs[k]
			if !ok {
				return nil, &tinker.FieldError{Field: fp, Msg: fmt.Sprintf("required by %s", spec.Name)}
			}
			m, err := t.Vector()
			if err != nil {
				var fe *tinker.FieldError
				if errors.As(err, &fe) {
					return nil, &tinker.FieldError{Field: fp + "." + fe.Field, Msg: fe.Msg}
				}
				return nil, err
			}
			if m != n {
				return nil, &tinker.FieldError{Field: fp, Msg: fmt.Sprintf("%d values for %d input tokens: want one per input position", m, n)}
			}
			if k == "target_tokens" {
				if t.DType != tinker.Int64 {
					return nil, &tinker.FieldError{Field: fp + ".dtype", Msg: fmt.Sprintf("%q: want int64", t.DType)}
				}
				continue
			}
			v := t.AsFloat64()
			for j, x := range v {
				if math.IsNaN(x) || math.IsInf(x, 0) {
					return nil, &tinker.FieldError{Field: fmt.Sprintf("%s.data[%d]", fp, j), Msg: fmt.Sprintf("%g: want a finite number", x)}
				}
			}
			vals[k] = v
		}
		targets := d.LossFnInputs["target_tokens"].Ints
		for j, t := range targets {
			if t < 0 || t >= int64(vocab) {
				return nil, &tinker.FieldError{Field: fmt.Sprintf("%s.loss_fn_inputs.target_tokens.data[%d]", path, j), Msg: fmt.Sprintf("%d: want 0..%d", t, vocab-1)}
			}
			if j+1 < n && int(t) != toks[j+1] {
				return nil, &tinker.FieldError{Field: fmt.Sprintf("%s.loss_fn_inputs.target_tokens.data[%d]", path, j),
					Msg: fmt.Sprintf("%d is not model_input token %d (%d): this server scores each position's next input token, so targets must be the input shifted by one", t, j+1, toks[j+1])}
			}
		}
		seq := append(append(make([]int, 0, n+1), toks...), int(targets[n-1]))
		p.seqs = append(p.seqs, train.Sequence{Tokens: seq, From: 1})
		p.inputs = append(p.inputs, vals)
	}
	return p, nil
}

// run computes the loss of every datum, and its gradient into the model's
// engine unless forwardOnly, micro-batch by micro-batch.
func (s *Server) runForwardBackward(m *trainModel, p *prepared, forwardOnly bool) (*tinker.ForwardBackwardOutput, error) {
	out := &tinker.ForwardBackwardOutput{LossFnOutputType: "ArrayRecord", LossFnOutputs: make([]map[string]tinker.TensorData, len(p.seqs)), Metrics: map[string]float64{}}
	var total float64
	for lo := 0; lo < len(p.seqs); {
		hi, toks := lo, 0
		for hi < len(p.seqs) && (hi == lo || toks+len(p.seqs[hi].Tokens) <= s.cfg.MicroBatchTokens) {
			toks += len(p.seqs[hi].Tokens)
			hi++
		}
		batch := p.seqs[lo:hi]
		var logp [][]float64
		var pass *train.Pass
		var err error
		if forwardOnly {
			logp, _, err = m.engine.Evaluate(batch)
		} else {
			pass, err = m.engine.Score(batch)
			if err == nil {
				logp = pass.Logp
			}
		}
		if err != nil {
			return nil, fmt.Errorf("forward: %w", err)
		}
		dl, dh := make([][]float64, len(batch)), make([][]float64, len(batch))
		for i := range batch {
			loss := p.spec.Compute(logp[i], p.inputs[lo+i])
			total += loss.Sum
			dl[i], dh[i] = loss.DLogp, make([]float64, len(loss.DLogp))
			lp32, el32 := make([]float32, len(logp[i])), make([]float32, len(logp[i]))
			for j := range lp32 {
				lp32[j], el32[j] = float32(logp[i][j]), float32(loss.PerToken[j])
			}
			out.LossFnOutputs[lo+i] = map[string]tinker.TensorData{"logprobs": tinker.FloatTensor(lp32), "elementwise_loss": tinker.FloatTensor(el32)}
		}
		if pass != nil {
			if err := pass.Backward(dl, dh); err != nil {
				return nil, fmt.Errorf("backward: %w", err)
			}
		}
		lo = hi
	}
	out.Metrics["loss:sum"] = total
	return out, nil
}

// forwardBackward takes JSON (SDK ≤ 0.24, SkyRL's clients) or protobuf
// (SDK 0.25, forward-only passes included).
func (s *Server) forwardBackward(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	var req tinker.ForwardBackwardRequest
	var err error
	if isProto(r) {
		req, err = tinker.DecodeForwardBackwardRequest(body)
		if err == nil && req.ModelID == "" {
			err = &tinker.FieldError{Field: "model_id", Msg: "required"}
		}
	} else {
		req, err = tinker.DecodeForwardBackwardJSON(body, false)
	}
	if err != nil {
		badRequest(w, asFieldError(err))
		return
	}
	s.submitForward(w, r, req, body)
}

// forward is SDK ≤ 0.24's forward-only route.
func (s *Server) forward(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	req, err := tinker.DecodeForwardBackwardJSON(body, true)
	if err != nil {
		badRequest(w, asFieldError(err))
		return
	}
	s.submitForward(w, r, req, body)
}

func (s *Server) submitForward(w http.ResponseWriter, r *http.Request, req tinker.ForwardBackwardRequest, body []byte) {
	key := "forward_backward_input"
	if req.ForwardOnly && !isProto(r) {
		key = "forward_input"
	}
	p, err := s.prepare(req.Input, req.ForwardOnly)
	if err != nil {
		var fe *tinker.FieldError
		if errors.As(err, &fe) {
			err = &tinker.FieldError{Field: key + "." + fe.Field, Msg: fe.Msg}
		}
		badRequest(w, err)
		return
	}
	m := s.model(w, req.ModelID)
	if m == nil {
		return
	}
	s.submit(w, r, m, req.SeqID, body, func() (any, error) {
		return s.runForwardBackward(m, p, req.ForwardOnly)
	})
}

// optimStep applies the accumulated gradients with the request's AdamW
// settings (torch.optim.AdamW, decoupled weight decay; grad_clip_norm 0 is
// no clipping).
func (s *Server) optimStep(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	var req tinker.OptimStepRequest
	if err := req.UnmarshalJSON(body); err != nil {
		badRequest(w, asFieldError(err))
		return
	}
	m := s.model(w, req.ModelID)
	if m == nil {
		return
	}
	a := req.AdamParams
	s.submit(w, r, m, req.SeqID, body, func() (any, error) {
		st, err := m.engine.StepWith(train.StepParams{LR: a.LearningRate, MaxGradNorm: a.GradClipNorm,
			AdamW: train.AdamW{Beta1: a.Beta1, Beta2: a.Beta2, Eps: a.Eps, WeightDecay: a.WeightDecay}})
		if err != nil {
			return nil, userErrorf("optim_step: %v", err)
		}
		return tinker.OptimStepResponse{Metrics: map[string]float64{"grad_norm:mean": st.GradNorm, "learning_rate:mean": st.LR, "step:max": float64(st.Step)}}, nil
	})
}
