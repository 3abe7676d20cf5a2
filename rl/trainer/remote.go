package trainer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"research/generate"
	"research/internal/safefile"
	"research/rl"
	"research/rollout"
	"research/tinker"
	"research/tinker/client"
	"research/train"
)

// Remote is a Backend on a Tinker-compatible training service: a LoRA
// model it trains with forward_backward (ppo or importance_sampling) and
// optim_step, samplers from save_weights_for_sampler, reference logprobs
// from a sampler on the base model, and checkpoints through save_weights
// and load_weights, whose tinker:// path the checkpoint directory keeps.
//
// What the service cannot compute it refuses, naming the config key (see
// Backend): the loss's KL term and entropy bonus, on-policy updates that
// send no old logprobs, a tempered policy.
type Remote struct {
	c         *client.Client
	tc        *client.TrainingClient
	baseModel string
	lora      tinker.LoRAConfig
	loss      string // RemotePPO or RemoteIS
	decoder   generate.Decoder
	clipLow   float64
	clipHigh  float64

	mu        sync.Mutex
	steps     int  // optimizer steps taken, restored by Load
	used      bool // the model has had a request: load_weights needs a fresh one
	samplers  int  // sampler checkpoints saved, for their names
	sampler   *client.SamplingClient
	sampledAt int // steps when sampler was saved; -1 none
	ref       *client.SamplingClient
	maxCtx    int // the base model's context, 0 when the service does not say
}

// remoteCheckpoint is what a checkpoint directory of a remote run holds in
// place of weights: the tinker:// path of the service's checkpoint.
type remoteCheckpoint struct {
	Version int    `json:"research_remote_checkpoint_version"`
	URL     string `json:"url"`
	Path    string `json:"tinker_path"`
	// SamplerPath is the same weights saved for sampling: what `tinker
	// checkpoint download` fetches as a PEFT adapter, for vLLM.
	SamplerPath string `json:"sampler_path"`
	ModelID     string `json:"model_id"`
	BaseModel   string `json:"base_model"`
	LoRARank    int    `json:"lora_rank"`
	Steps       int    `json:"steps"`
}

const (
	remoteCheckpointFile    = "tinker_checkpoint.json"
	remoteCheckpointVersion = 1
)

// newRemote opens a session on cfg.Backend's service and creates the LoRA
// model. dec decodes tokens for stop strings.
func newRemote(ctx context.Context, cfg Config, dec generate.Decoder, log io.Writer) (*Remote, error) {
	b := cfg.Backend
	key := b.APIKey
	if key == "" {
		key = os.Getenv(TinkerAPIKeyEnv)
	}
	base := b.BaseModel
	if base == "" {
		base = filepath.Base(filepath.Clean(cfg.Model))
	}
	attn, mlp, err := loraGroups(cfg.LoRA.Targets)
	if err != nil {
		return nil, fmt.Errorf("lora.targets: %w", err)
	}
	// The seed makes the adapters' initialisation reproducible; on
	// serve-tinker it is the stream the in-process trainer's LoRA uses.
	seed := int64(cfg.Train.Seed &^ (1 << 63))
	r := &Remote{baseModel: base, loss: b.Loss, decoder: dec, clipLow: cfg.Algorithm.ClipLow, clipHigh: cfg.Algorithm.ClipHigh,
		lora: tinker.LoRAConfig{Rank: b.rank(cfg.LoRA), Seed: &seed, TrainAttn: attn, TrainMLP: mlp}, sampledAt: -1}
	r.c, err = client.Dial(ctx, client.Options{BaseURL: b.URL, APIKey: key, Tags: []string{"research-train"}, Log: log})
	if err != nil {
		return nil, fmt.Errorf("backend.url: %w", err)
	}
	if r.tc, err = r.c.CreateModel(ctx, base, r.lora); err != nil {
		r.c.Close()
		return nil, fmt.Errorf("backend: create_model of %q with LoRA rank %d: %w", base, r.lora.Rank, err)
	}
	if caps, err := r.c.Capabilities(ctx); err == nil {
		for _, m := range caps.SupportedModels {
			if m.ModelName == base {
				r.maxCtx = m.MaxContextLength
			}
		}
	}
	return r, nil
}

// checkLoss refuses what no Tinker loss computes.
func (r *Remote) checkLoss(loss rl.Loss) error {
	if loss.KL != rl.KLNone {
		return fmt.Errorf("algorithm.kl: %s: a Tinker service has no KL term in its losses (algorithm.kl_in_reward charges it in the reward)", loss.KL)
	}
	if loss.EntropyCoef != 0 {
		return fmt.Errorf("algorithm.entropy_coef: %g: no loss of a Tinker service has an entropy bonus", loss.EntropyCoef)
	}
	return nil
}

// shifted lays a datum out as the service takes it: the model input is
// every token but the last, and position i predicts token i+1, so response
// token j (index From+j) is predicted at position From−1+j.
func shifted(d Datum) (input []int, targets []int64, at int) {
	input = d.Tokens[:len(d.Tokens)-1]
	targets = make([]int64, len(input))
	for i := range targets {
		targets[i] = int64(d.Tokens[i+1])
	}
	return input, targets, d.From - 1
}

// ForwardBackward implements Backend: the service's ppo (or
// importance_sampling) loss, a sum over tokens, with the aggregation's
// per-token weights, the mask and scale folded into the advantages, so
// that its gradient is the aggregated loss's times scale. The loss values
// are computed here from the logprobs the service returns, as rl.Loss
// does (without KL and entropy).
func (r *Remote) ForwardBackward(ctx context.Context, data []Datum, loss rl.Loss, scale float64) (ForwardBackwardResult, error) {
	if err := r.checkLoss(loss); err != nil {
		return ForwardBackwardResult{}, err
	}
	masks := make([][]float64, len(data))
	for k, d := range data {
		if d.OldLogp == nil {
			return ForwardBackwardResult{}, errors.New("no old logprobs: a Tinker service's ratio is against the logprobs sent; send the sampler's")
		}
		masks[k] = d.Mask
	}
	w, err := loss.SequenceWeights(masks)
	if err != nil {
		return ForwardBackwardResult{}, err
	}
	in := tinker.ForwardBackwardInput{LossFn: r.loss}
	if r.loss == RemotePPO {
		in.LossFnConfig = map[string]float64{"clip_low_threshold": 1 - loss.ClipLow, "clip_high_threshold": 1 + loss.ClipHigh}
	}
	for k, d := range data {
		input, targets, at := shifted(d)
		q, adv := make([]float32, len(input)), make([]float32, len(input))
		for j, m := range d.Mask {
			q[at+j] = float32(d.OldLogp[j])
			adv[at+j] = float32(d.Advantages[j] * m * w[k] * scale)
		}
		in.Data = append(in.Data, tinker.Datum{ModelInput: tinker.TextInput(input), LossFnInputs: tinker.LossFnInputs{
			"target_tokens": tinker.IntTensor(targets), "logprobs": tinker.FloatTensor(q), "advantages": tinker.FloatTensor(adv)}})
	}
	r.setUsed()
	out, err := r.tc.ForwardBackward(ctx, in)
	if err != nil {
		return ForwardBackwardResult{}, err
	}
	logp, err := responseLogprobs(out, data)
	if err != nil {
		return ForwardBackwardResult{}, err
	}
	// The loss's values as the in-process loss reports them; old logprobs
	// are float32 on the wire, as the service saw them.
	seqs := make([]rl.Sequence, len(data))
	for k, d := range data {
		old := make([]float64, len(d.OldLogp))
		for j, v := range d.OldLogp {
			old[j] = float64(float32(v))
		}
		seqs[k] = rl.Sequence{Advantages: d.Advantages, Mask: d.Mask, OldLogp: old, Logp: logp[k], Entropy: make([]float64, len(d.Mask))}
	}
	report := loss
	if r.loss == RemoteIS {
		report.ClipLow, report.ClipHigh = math.Inf(-1), math.Inf(1)
	}
	res, err := report.Compute(seqs)
	if err != nil {
		return ForwardBackwardResult{}, err
	}
	res.DLogp, res.DEntropy = nil, nil
	return ForwardBackwardResult{Logprobs: logp, Loss: res}, nil
}

// responseLogprobs cuts each datum's response logprobs out of a result.
func responseLogprobs(out *tinker.ForwardBackwardOutput, data []Datum) ([][]float64, error) {
	logp := make([][]float64, len(data))
	for k, d := range data {
		t, ok := out.LossFnOutputs[k]["logprobs"]
		n := len(d.Tokens) - 1
		if !ok || t.Len() != n {
			return nil, fmt.Errorf("backend: forward result of datum %d: logprobs of %d values for %d positions", k, t.Len(), n)
		}
		lp := t.AsFloat64()
		logp[k] = lp[d.From-1:]
	}
	return logp, nil
}

// Logprobs implements Backend: Current by a forward pass on the training
// model (the sampler's weights, since samplers are saved from it),
// Reference by prompt logprobs of a sampler on the base model, as the
// SDK's compute_logprobs does.
func (r *Remote) Logprobs(ctx context.Context, data []Datum, w Weights) ([][]float64, error) {
	if w == Reference {
		return r.refLogprobs(ctx, data)
	}
	in := tinker.ForwardBackwardInput{LossFn: tinker.LossCrossEntropy}
	for _, d := range data {
		input, targets, _ := shifted(d)
		in.Data = append(in.Data, tinker.Datum{ModelInput: tinker.TextInput(input), LossFnInputs: tinker.LossFnInputs{
			"target_tokens": tinker.IntTensor(targets), "weights": tinker.FloatTensor(make([]float32, len(input)))}})
	}
	r.setUsed()
	out, err := r.tc.Forward(ctx, in)
	if err != nil {
		return nil, err
	}
	return responseLogprobs(out, data)
}

// refLogprobs scores data under the base model, sample by sample, several
// at once.
func (r *Remote) refLogprobs(ctx context.Context, data []Datum) ([][]float64, error) {
	r.mu.Lock()
	if r.ref == nil {
		sc, err := r.c.CreateSamplingClient(ctx, "", r.baseModel)
		if err != nil {
			r.mu.Unlock()
			return nil, fmt.Errorf("reference sampler on %q: %w", r.baseModel, err)
		}
		r.ref = sc
	}
	ref := r.ref
	r.mu.Unlock()
	out := make([][]float64, len(data))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for k, d := range data {
		g.Go(func() error {
			lp, err := ref.ComputeLogprobs(gctx, d.Tokens)
			if err != nil {
				return err
			}
			out[k] = lp[d.From:]
			return nil
		})
	}
	return out, g.Wait()
}

// OptimStep implements Backend: optim_step with AdamW's settings, the
// learning rate the trainer scheduled and the clip norm. The grad norm is
// what the service reports (grad_norm:mean; 0 when it reports none).
func (r *Remote) OptimStep(ctx context.Context, p train.StepParams) (train.StepStats, error) {
	r.setUsed()
	res, err := r.tc.OptimStep(ctx, tinker.AdamParams{LearningRate: p.LR, Beta1: p.AdamW.Beta1, Beta2: p.AdamW.Beta2,
		Eps: p.AdamW.Eps, WeightDecay: p.AdamW.WeightDecay, GradClipNorm: p.MaxGradNorm})
	if err != nil {
		return train.StepStats{}, err
	}
	r.mu.Lock()
	r.steps++
	st := train.StepStats{Step: r.steps, LR: p.LR}
	r.mu.Unlock()
	for k, v := range res.Metrics {
		if k == "grad_norm:mean" || k == "grad_norm" || strings.HasSuffix(k, "/grad_norm") {
			st.GradNorm = v
		}
	}
	return st, nil
}

// Steps implements Backend.
func (r *Remote) Steps() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.steps
}

func (r *Remote) setUsed() {
	r.mu.Lock()
	r.used = true
	r.mu.Unlock()
}

// Sampler implements Backend: the current weights saved for sampling
// (once per optimizer step) and a sampling session on them.
func (r *Remote) Sampler(ctx context.Context, s generate.Sampling) (rollout.Policy, func(), error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sampler == nil || r.sampledAt != r.steps {
		r.samplers++
		r.used = true
		path, err := r.tc.SaveWeightsForSampler(ctx, fmt.Sprintf("sampler-%06d-%d", r.steps, r.samplers))
		if err != nil {
			return nil, nil, fmt.Errorf("backend: sampler weights: %w", err)
		}
		sc, err := r.c.CreateSamplingClient(ctx, path, "")
		if err != nil {
			return nil, nil, fmt.Errorf("backend: sampler on %s: %w", path, err)
		}
		r.sampler, r.sampledAt = sc, r.steps
	}
	return &remotePolicy{sc: r.sampler, s: s, decoder: r.decoder, maxCtx: r.maxCtx}, func() {}, nil
}

// Save implements Backend: save_weights (weights and optimizer) under the
// checkpoint directory's name, and the same weights for sampling, and their
// tinker:// paths in the directory.
func (r *Remote) Save(dir string) error {
	ctx := context.Background()
	r.mu.Lock()
	steps := r.steps
	r.used = true
	r.mu.Unlock()
	path, err := r.tc.SaveWeights(ctx, checkpointName(dir), true)
	if err != nil {
		return fmt.Errorf("backend: save_weights: %w", err)
	}
	sampler, err := r.tc.SaveWeightsForSampler(ctx, checkpointName(dir))
	if err != nil {
		return fmt.Errorf("backend: save_weights_for_sampler: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cp := remoteCheckpoint{Version: remoteCheckpointVersion, URL: r.c.BaseURL(), Path: path, SamplerPath: sampler, ModelID: r.tc.ModelID,
		BaseModel: r.baseModel, LoRARank: r.lora.Rank, Steps: steps}
	return safefile.Write(filepath.Join(dir, remoteCheckpointFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(cp)
	})
}

// checkpointName is a service checkpoint name for a checkpoint directory:
// its name, with what a name may not hold replaced.
func checkpointName(dir string) string {
	name := []byte(filepath.Base(dir))
	for i, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			name[i] = '_'
		}
	}
	if len(name) == 0 || string(name) == "." || string(name) == ".." {
		return "checkpoint"
	}
	return string(name)
}

// Load implements Backend: load_weights of the directory's tinker:// path,
// optimizer state included, into the model — a fresh one if the model has
// had requests already, since a service loads only into a new model.
func (r *Remote) Load(dir string) error {
	data, err := os.ReadFile(filepath.Join(dir, remoteCheckpointFile))
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("load checkpoint: %s holds no %s: not a checkpoint of a remote run (backend.url)", dir, remoteCheckpointFile)
	}
	if err != nil {
		return fmt.Errorf("load checkpoint: %w", err)
	}
	var cp remoteCheckpoint
	if err := json.Unmarshal(data, &cp); err != nil {
		return fmt.Errorf("load checkpoint: %s: %w", filepath.Join(dir, remoteCheckpointFile), err)
	}
	switch {
	case cp.Version != remoteCheckpointVersion:
		return fmt.Errorf("load checkpoint: %s: version %d; this build reads %d", dir, cp.Version, remoteCheckpointVersion)
	case cp.BaseModel != r.baseModel || cp.LoRARank != r.lora.Rank:
		return fmt.Errorf("load checkpoint: %s is of %s with LoRA rank %d; this run trains %s with rank %d (backend.base_model, backend.lora_rank)",
			dir, cp.BaseModel, cp.LoRARank, r.baseModel, r.lora.Rank)
	}
	ctx := context.Background()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.used {
		tc, err := r.c.CreateModel(ctx, r.baseModel, r.lora)
		if err != nil {
			return fmt.Errorf("load checkpoint: a fresh model to load into: %w", err)
		}
		old := r.tc
		r.tc = tc
		old.Unload(ctx) // frees the service's slot; a failure only costs the slot
	}
	r.used = true
	if err := r.tc.LoadWeights(ctx, cp.Path, true); err != nil {
		return fmt.Errorf("load checkpoint %s (%s from %s): %w", dir, cp.Path, cp.URL, err)
	}
	r.steps, r.sampler, r.sampledAt = cp.Steps, nil, -1
	return nil
}

// Close implements Backend: the session's heartbeat stops, and the
// service drops the model when the session expires.
func (r *Remote) Close() {
	if r.tc != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		r.tc.Unload(ctx)
		cancel()
	}
	r.c.Close()
}
