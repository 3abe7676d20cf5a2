package trainer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"research/agent"
	"research/protocol"
	"research/rl"
)

// Config is everything a run needs; its YAML form is what `research train
// --config` reads, and the resolved form is written beside the outputs.
type Config struct {
	Data      DataConfig      `yaml:"data"`
	Model     string          `yaml:"model"`     // initial policy: an HF model directory
	Tokenizer string          `yaml:"tokenizer"` // default: the model directory
	Template  string          `yaml:"template"`  // instruct or base
	EOSText   string          `yaml:"eos_text"`  // default: by template
	Retriever RetrieverConfig `yaml:"retriever"`
	Rollout   RolloutConfig   `yaml:"rollout"`
	Algorithm AlgorithmConfig `yaml:"algorithm"`
	Reward    RewardConfig    `yaml:"reward_model"`
	Optim     OptimConfig     `yaml:"optim"`
	LoRA      LoRAConfig      `yaml:"lora"`
	Train     LoopConfig      `yaml:"train"`
	Backend   BackendConfig   `yaml:"backend"`
}

// BackendConfig picks where the weights live and train: empty URL is the
// in-process engine; a URL is a Tinker-compatible training service
// (Thinking Machines' Tinker, SkyRL tx, research serve-tinker), which
// then trains LoRA adapters, samples the rollouts and keeps the
// checkpoints (Remote).
type BackendConfig struct {
	// URL is the service's root, without /api/v1.
	URL string `yaml:"url"`
	// APIKey goes in X-API-Key; empty takes $TINKER_API_KEY. It is not
	// written to the run's config.yaml.
	APIKey string `yaml:"api_key"`
	// BaseModel is the service's name of the base model; default: the
	// name of the model directory.
	BaseModel string `yaml:"base_model"`
	// LoRARank is the adapters' rank; default lora.rank. The service fixes
	// alpha (Tinker: 32); lora.alpha is not sent.
	LoRARank int `yaml:"lora_rank"`
	// Loss is the service's loss: ppo (the clipped surrogate with
	// algorithm.clip_low / clip_high as ratio bounds 1 − clip_low and
	// 1 + clip_high) or importance_sampling (unclipped).
	Loss string `yaml:"loss"`
}

// TinkerAPIKeyEnv is where backend.api_key comes from when the config
// leaves it empty.
const TinkerAPIKeyEnv = "TINKER_API_KEY"

// Remote losses of BackendConfig.Loss.
const (
	RemotePPO = "ppo"
	RemoteIS  = "importance_sampling"
)

// rank is the remote adapters' rank: backend.lora_rank, else lora.rank.
func (b BackendConfig) rank(l LoRAConfig) int {
	if b.LoRARank != 0 {
		return b.LoRARank
	}
	return l.Rank
}

// LoRAConfig trains low-rank adapters on a frozen base instead of every
// weight when Rank > 0; the frozen base is then the KL reference.
type LoRAConfig struct {
	Rank    int      `yaml:"rank"`
	Alpha   float64  `yaml:"alpha"`
	Targets []string `yaml:"targets"` // PEFT module names
}

// DataConfig names the datasets (any format dataset.ReadFile reads).
type DataConfig struct {
	Train   []string `yaml:"train"`
	Val     []string `yaml:"val"`
	ValSize int      `yaml:"val_size"` // questions used per validation (0: all)
}

// RetrieverConfig picks the retriever — an index in process (BM25, dense
// or hybrid, by method) or a search server — with the keys of the CLI's
// flags (agent.RetrieverConfig), and the passages per search.
type RetrieverConfig struct {
	agent.RetrieverConfig `yaml:",inline"`
	TopK                  int `yaml:"top_k"`
}

// RolloutConfig shapes the rollouts of a step.
type RolloutConfig struct {
	N                 int     `yaml:"n"`
	MaxResponseTokens int     `yaml:"max_response_tokens"`
	MaxTurns          int     `yaml:"max_turns"`
	Temperature       float64 `yaml:"temperature"`
	TopP              float64 `yaml:"top_p"`
	Synchronous       bool    `yaml:"synchronous"`
	MaxConcurrent     int     `yaml:"max_concurrent"`
	// SeedPerTurn seeds each policy call of a rollout on its own
	// (rollout.TurnSeed of the step's seed, the rollout and its turn), as
	// a sampling service takes one seed per request; unset means true with
	// a remote backend, which can do nothing else, and false in process,
	// where a rollout's random stream continues across its turns. With it
	// set, in-process and remote training sample the same tokens.
	SeedPerTurn *bool `yaml:"seed_per_turn"`
}

// seedPerTurn resolves rollout.seed_per_turn.
func (c Config) seedPerTurn() bool {
	if c.Rollout.SeedPerTurn != nil {
		return *c.Rollout.SeedPerTurn
	}
	return c.Backend.URL != ""
}

// AlgorithmConfig is the RL objective.
type AlgorithmConfig struct {
	Advantage   string  `yaml:"advantage"` // grpo, rloo, reinforce_plus_plus_baseline
	ClipLow     float64 `yaml:"clip_low"`
	ClipHigh    float64 `yaml:"clip_high"`
	KL          string  `yaml:"kl"` // none, k1, k2, k3
	KLCoef      float64 `yaml:"kl_coef"`
	EntropyCoef float64 `yaml:"entropy_coef"`
	Aggregation string  `yaml:"aggregation"`
	NormTokens  int     `yaml:"norm_tokens"` // Dr.GRPO's constant; default max_response_tokens
	// StateMasking keeps the inserted result tokens out of the loss, as
	// the paper and Search-R1 (actor.state_masking) do; false trains on
	// them too, Search-R1's ablation (batch.go, newBatch).
	StateMasking bool `yaml:"state_masking"`
	// SkipZeroAdvantage leaves the groups whose rewards are all equal out
	// of the update's forward and backward: their advantage is 0, so the
	// policy gradient is unchanged, but their KL and entropy terms go
	// (update.go, accumulate). Not with reinforce_plus_plus_baseline,
	// whose whitening gives such groups an advantage.
	SkipZeroAdvantage bool         `yaml:"skip_zero_advantage"`
	FilterGroups      FilterGroups `yaml:"filter_groups"`
	// KLInReward is veRL's KL penalty in the reward
	// (algorithm.use_kl_in_reward, apply_kl_penalty): every token the
	// policy wrote is charged kl_ctrl.kl_coef · KLPenalty(logp, ref), logp
	// the sampler's logprob and ref the frozen initial policy's, and the
	// charges are subtracted from the token-level reward before the
	// advantages, so that the outcome estimators see r − β·Σ_t kl_t. It
	// works with any backend that scores the reference (a Tinker service
	// through a sampler on the base model), unlike the KL term in the
	// loss (KL).
	KLInReward bool   `yaml:"kl_in_reward"`
	KLPenalty  string `yaml:"kl_penalty"` // the estimator: kl (k1, veRL's default), mse (k2) or low_var_kl (k3)
	KLCtrl     KLCtrl `yaml:"kl_ctrl"`
}

// KLCtrl is veRL's algorithm.kl_ctrl: the coefficient of the KL penalty
// in the reward. Only the fixed controller is implemented.
type KLCtrl struct {
	Type   string  `yaml:"type"`
	KLCoef float64 `yaml:"kl_coef"`
}

// FilterGroups is DAPO's dynamic sampling, with veRL's keys
// (algorithm.filter_groups): groups whose Metric is equal across their
// rollouts are dropped, and more questions are rolled out, a batch at a
// time, until BatchSize groups are kept or MaxNumGenBatches batches were
// generated in the step; the step then trains on the groups it kept.
type FilterGroups struct {
	Enable bool `yaml:"enable"`
	// Metric is what must differ within a group: seq_reward or
	// seq_final_reward (the reward the advantages use, overlong penalty
	// included; equal here, as there is no KL penalty in the reward),
	// score (the reward before the overlong penalty) or acc (exact match
	// of the answer, 0 or 1).
	Metric string `yaml:"metric"`
	// MaxNumGenBatches caps the batches generated per step. veRL's 0 (no
	// cap) is refused: a policy whose groups all tie would roll out
	// forever. veRL stops the run at the cap; here the step trains on the
	// groups it has (none: no update).
	MaxNumGenBatches int `yaml:"max_num_gen_batches"`
}

// Filter metrics of FilterGroups.
const (
	MetricSeqReward      = "seq_reward"
	MetricSeqFinalReward = "seq_final_reward"
	MetricScore          = "score"
	MetricAcc            = "acc"
)

// RewardConfig shapes the reward the advantages see (veRL's reward_model
// section).
type RewardConfig struct {
	OverlongBuffer OverlongBuffer `yaml:"overlong_buffer"`
}

// OverlongBuffer is DAPO's soft overlong penalty, as veRL's DAPO reward
// manager adds it to the score of a response of L tokens (inserted results
// included: they count against rollout.max_response_tokens, L_max):
//
//	min(−(L − (L_max − Len)) / Len · PenaltyFactor, 0)
//
// 0 up to L_max − Len tokens, falling linearly to −PenaltyFactor at L_max.
type OverlongBuffer struct {
	Enable        bool    `yaml:"enable"`
	Len           int     `yaml:"len"`
	PenaltyFactor float64 `yaml:"penalty_factor"`
}

// OptimConfig is AdamW and its schedule.
type OptimConfig struct {
	LR          float64    `yaml:"lr"`
	Schedule    string     `yaml:"schedule"` // constant, linear or cosine, after WarmupSteps of linear warmup
	WarmupSteps int        `yaml:"warmup_steps"`
	Betas       [2]float64 `yaml:"betas"`
	Eps         float64    `yaml:"eps"`
	WeightDecay float64    `yaml:"weight_decay"`
	MaxGradNorm float64    `yaml:"max_grad_norm"`
	Recompute   bool       `yaml:"recompute"`
}

// LoopConfig is the outer loop: sizes, cadence, outputs.
type LoopConfig struct {
	Steps            int    `yaml:"steps"`
	BatchSize        int    `yaml:"batch_size"` // questions per step
	MiniBatches      int    `yaml:"mini_batches"`
	PPOEpochs        int    `yaml:"ppo_epochs"`
	MicroBatchTokens int    `yaml:"micro_batch_tokens"`
	Seed             uint64 `yaml:"seed"`
	Out              string `yaml:"out"`
	ValEvery         int    `yaml:"val_every"`
	SaveEvery        int    `yaml:"save_every"`
	Keep             int    `yaml:"keep"`
	Collapse         Guard  `yaml:"collapse"`
	PlotEvery        int    `yaml:"plot_every"`
}

// Guard stops or rolls back a run whose format-valid rate or validation
// reward falls more than Margin below its best over the last Window
// measurements.
type Guard struct {
	Action string  `yaml:"action"` // off, stop, rollback
	Margin float64 `yaml:"margin"`
	Window int     `yaml:"window"`
}

// Defaults is the paper's recipe at a CPU's scale of batch.
func Defaults() Config {
	return Config{
		Template:  string(protocol.Instruct),
		Retriever: RetrieverConfig{RetrieverConfig: agent.RetrieverConfig{Protocol: "flashrag"}, TopK: 5},
		Rollout:   RolloutConfig{N: 5, MaxResponseTokens: 8192, Temperature: 1, TopP: 1},
		Algorithm: AlgorithmConfig{Advantage: string(rl.GRPO), ClipLow: 0.2, ClipHigh: 0.2, KL: string(rl.K3),
			KLCoef: 0.001, EntropyCoef: 0.001, Aggregation: string(rl.TokenMean), StateMasking: true,
			FilterGroups: FilterGroups{Metric: MetricSeqReward, MaxNumGenBatches: 10},
			KLPenalty:    "kl", KLCtrl: KLCtrl{Type: "fixed", KLCoef: 0.001}},
		Reward: RewardConfig{OverlongBuffer: OverlongBuffer{Len: 4096, PenaltyFactor: 1}},
		Optim: OptimConfig{LR: 1e-6, Schedule: "constant", Betas: [2]float64{0.9, 0.999}, Eps: 1e-8,
			WeightDecay: 0.01, MaxGradNorm: 1},
		LoRA: LoRAConfig{Alpha: 16, Targets: []string{"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}},
		Train: LoopConfig{Steps: 100, BatchSize: 8, MiniBatches: 1, PPOEpochs: 1, MicroBatchTokens: 16384,
			Seed: 1, Out: "runs/train", ValEvery: 10, SaveEvery: 10, Keep: 3, PlotEvery: 1,
			Collapse: Guard{Action: "off", Margin: 0.3, Window: 5}},
		Backend: BackendConfig{Loss: RemotePPO},
	}
}

// Load reads a YAML config over the defaults, then applies key=value
// overrides (dotted keys, YAML values: "rollout.n=8", "data.train=[a,b]").
// Unknown keys and wrong types are errors naming the key.
func Load(path string, sets []string) (Config, error) {
	cfg := Defaults()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		if err := decodeStrict(data, &cfg); err != nil {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
	}
	for _, set := range sets {
		key, value, ok := strings.Cut(set, "=")
		if !ok || key == "" {
			return cfg, fmt.Errorf("--set %q: want key=value", set)
		}
		if err := decodeStrict([]byte(nest(key, value)), &cfg); err != nil {
			return cfg, fmt.Errorf("--set %s: %w", key, err)
		}
	}
	return cfg, cfg.Validate()
}

// nest turns a dotted key and a YAML value into a YAML document.
func nest(key, value string) string {
	parts := strings.Split(key, ".")
	var b strings.Builder
	for i, p := range parts {
		b.WriteString(strings.Repeat("  ", i) + p + ":")
		if i < len(parts)-1 {
			b.WriteString("\n")
		}
	}
	return b.String() + " " + value + "\n"
}

// decodeStrict decodes YAML over cfg, refusing unknown keys; an empty
// document changes nothing.
func decodeStrict(data []byte, cfg *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// YAML renders the config, as written to the run directory: without
// backend.api_key, a secret.
func (c Config) YAML() ([]byte, error) {
	c.Backend.APIKey = ""
	return yaml.Marshal(c)
}

// Validate checks every key before any work starts; errors name the key.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if len(c.Data.Train) == 0 {
		bad("data.train", "no training data")
	}
	for _, f := range append(append([]string(nil), c.Data.Train...), c.Data.Val...) {
		if _, err := os.Stat(f); err != nil {
			bad("data", "%v", err)
		}
	}
	switch {
	case c.Model == "" && c.Backend.URL == "":
		bad("model", "no initial policy")
	case c.Model == "" && c.Tokenizer == "":
		bad("model", "no model directory and no tokenizer: a remote backend still needs the tokenizer here")
	case c.Model != "":
		if _, err := os.Stat(c.Model); err != nil {
			bad("model", "%v", err)
		}
	}
	if _, err := protocol.ParseTemplate(c.Template); err != nil {
		bad("template", "%v", err)
	}
	rc := c.Retriever.RetrieverConfig
	if inProcess := rc.Index != "" || rc.DenseIndex != ""; inProcess == (rc.URL != "") {
		bad("retriever", "set exactly one of retriever.index (or dense_index) and retriever.url")
	} else if err := rc.Check(); err != nil {
		var fe *agent.FieldError
		if errors.As(err, &fe) {
			bad("retriever."+fe.Key, "%v", fe.Err)
		} else {
			bad("retriever", "%v", err)
		}
	}
	if c.Retriever.TopK < 1 {
		bad("retriever.top_k", "%d: want ≥ 1", c.Retriever.TopK)
	}
	est, err := rl.ParseEstimator(c.Algorithm.Advantage)
	if err != nil {
		bad("algorithm.advantage", "%v", err)
	}
	if c.Rollout.N < 1 || ((est == rl.GRPO || est == rl.RLOO) && c.Rollout.N < 2) {
		bad("rollout.n", "%d: group estimators need at least 2 rollouts per question", c.Rollout.N)
	}
	if c.Rollout.MaxResponseTokens < 1 {
		bad("rollout.max_response_tokens", "%d: want ≥ 1", c.Rollout.MaxResponseTokens)
	}
	if !(c.Rollout.Temperature > 0) {
		bad("rollout.temperature", "%g: training samples, want > 0", c.Rollout.Temperature)
	}
	if _, err := rl.ParseKL(c.Algorithm.KL); err != nil {
		bad("algorithm.kl", "%v", err)
	}
	if _, err := rl.ParseAggregation(c.Algorithm.Aggregation); err != nil {
		bad("algorithm.aggregation", "%v", err)
	}
	if c.Algorithm.ClipLow < 0 || c.Algorithm.ClipLow >= 1 || c.Algorithm.ClipHigh < 0 {
		bad("algorithm.clip_low", "clip range [%g, %g] is not valid", c.Algorithm.ClipLow, c.Algorithm.ClipHigh)
	}
	if c.Algorithm.SkipZeroAdvantage && est == rl.ReinforcePPBaseline {
		bad("algorithm.skip_zero_advantage", "%s whitens advantages over the batch: a group of equal rewards has a non-zero advantage", est)
	}
	if fg := c.Algorithm.FilterGroups; fg.Enable {
		switch fg.Metric {
		case MetricSeqReward, MetricSeqFinalReward, MetricScore, MetricAcc:
		default:
			bad("algorithm.filter_groups.metric", "%q: want %s, %s, %s or %s", fg.Metric, MetricSeqReward, MetricSeqFinalReward, MetricScore, MetricAcc)
		}
		if fg.MaxNumGenBatches < 1 {
			bad("algorithm.filter_groups.max_num_gen_batches", "%d: want ≥ 1 (no cap could roll out forever)", fg.MaxNumGenBatches)
		}
	}
	if ob := c.Reward.OverlongBuffer; ob.Enable {
		if ob.Len < 1 || ob.Len > c.Rollout.MaxResponseTokens {
			bad("reward_model.overlong_buffer.len", "%d: want 1 … rollout.max_response_tokens (%d)", ob.Len, c.Rollout.MaxResponseTokens)
		}
		if !(ob.PenaltyFactor >= 0) {
			bad("reward_model.overlong_buffer.penalty_factor", "%g: want ≥ 0", ob.PenaltyFactor)
		}
	}
	switch c.Optim.Schedule {
	case "constant", "linear", "cosine":
	default:
		bad("optim.schedule", "%q: want constant, linear or cosine", c.Optim.Schedule)
	}
	if !(c.Optim.LR >= 0) {
		bad("optim.lr", "%g: want ≥ 0", c.Optim.LR)
	}
	t := c.Train
	for key, v := range map[string]int{"train.steps": t.Steps, "train.batch_size": t.BatchSize, "train.mini_batches": t.MiniBatches,
		"train.ppo_epochs": t.PPOEpochs, "train.micro_batch_tokens": t.MicroBatchTokens} {
		if v < 1 {
			bad(key, "%d: want ≥ 1", v)
		}
	}
	if t.MiniBatches > t.BatchSize*c.Rollout.N {
		bad("train.mini_batches", "%d mini-batches for %d rollouts per step", t.MiniBatches, t.BatchSize*c.Rollout.N)
	}
	if c.LoRA.Rank < 0 || (c.LoRA.Rank > 0 && !(c.LoRA.Alpha > 0)) {
		bad("lora", "rank %d, alpha %g: want rank ≥ 0 and alpha > 0", c.LoRA.Rank, c.LoRA.Alpha)
	}
	if t.Out == "" {
		bad("train.out", "no output directory")
	}
	switch t.Collapse.Action {
	case "off", "stop", "rollback":
	default:
		bad("train.collapse.action", "%q: want off, stop or rollback", t.Collapse.Action)
	}
	if a := c.Algorithm; a.KLInReward {
		if k, err := rl.ParseKL(a.KLPenalty); err != nil || k == rl.KLNone {
			bad("algorithm.kl_penalty", "%q: want kl (k1), mse (k2) or low_var_kl (k3)", a.KLPenalty)
		}
		if a.KLCtrl.Type != "fixed" {
			bad("algorithm.kl_ctrl.type", "%q: only fixed is implemented (not veRL's adaptive controller)", a.KLCtrl.Type)
		}
		if !(a.KLCtrl.KLCoef >= 0) || math.IsInf(a.KLCtrl.KLCoef, 0) {
			bad("algorithm.kl_ctrl.kl_coef", "%g: want a finite value ≥ 0", a.KLCtrl.KLCoef)
		}
		if a.FilterGroups.Enable && a.FilterGroups.Metric == MetricSeqFinalReward {
			bad("algorithm.filter_groups.metric", "seq_final_reward with algorithm.kl_in_reward: the KL penalty is charged after dynamic sampling here; filter on seq_reward")
		}
	}
	errs = append(errs, c.validateBackend()...)
	return errors.Join(errs...)
}

// validateBackend checks the backend block and, with a remote backend,
// refuses what a Tinker service cannot compute, naming the key.
func (c Config) validateBackend() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	b := c.Backend
	if b.URL == "" {
		if b.APIKey != "" || b.BaseModel != "" || b.LoRARank != 0 {
			bad("backend.url", "empty (train in process), but other backend keys are set; give the service's URL or drop them")
		}
		return errs
	}
	if u, err := url.Parse(b.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("backend.url", "%q: want http(s)://host[:port][/path], the service's root without /api/v1", b.URL)
	}
	if b.BaseModel == "" && c.Model == "" {
		bad("backend.base_model", "required when model is not set: the service's name of the base model")
	}
	switch r := b.rank(c.LoRA); {
	case r < 1:
		bad("backend.lora_rank", "%d: want ≥ 1 (a Tinker service trains LoRA adapters; set backend.lora_rank or lora.rank)", r)
	case c.LoRA.Rank != 0 && b.LoRARank != 0 && c.LoRA.Rank != b.LoRARank:
		bad("lora.rank", "%d, but backend.lora_rank is %d: set one", c.LoRA.Rank, b.LoRARank)
	}
	if _, _, err := loraGroups(c.LoRA.Targets); err != nil {
		bad("lora.targets", "%v", err)
	}
	switch b.Loss {
	case RemotePPO, RemoteIS:
	default:
		bad("backend.loss", "%q: want %s or %s", b.Loss, RemotePPO, RemoteIS)
	}
	a := c.Algorithm
	if kl, _ := rl.ParseKL(a.KL); kl != rl.KLNone {
		bad("algorithm.kl", "%s: a Tinker service has no KL term in its losses; set none (algorithm.kl_in_reward charges the KL in the reward instead)", a.KL)
	}
	if a.EntropyCoef != 0 {
		bad("algorithm.entropy_coef", "%g: no loss of a Tinker service has an entropy bonus; set 0", a.EntropyCoef)
	}
	if c.Rollout.Temperature != 1 {
		bad("rollout.temperature", "%g: a Tinker service scores the untempered policy (forward_backward at temperature 1), so the sampler must sample it; set 1", c.Rollout.Temperature)
	}
	if c.Rollout.SeedPerTurn != nil && !*c.Rollout.SeedPerTurn {
		bad("rollout.seed_per_turn", "false: a remote sampler takes one seed per request; drop the key or set true")
	}
	return errs
}

// The LoRA targets a Tinker model adapts: train_attn's and train_mlp's.
var (
	attnTargets = []string{"q_proj", "k_proj", "v_proj", "o_proj"}
	mlpTargets  = []string{"gate_proj", "up_proj", "down_proj"}
)

// loraGroups maps lora.targets to create_model's train_attn and
// train_mlp: the targets must be the attention projections, the MLP
// projections or both, in that order, as the service adapts whole groups.
func loraGroups(targets []string) (attn, mlp bool, err error) {
	switch {
	case slices.Equal(targets, attnTargets):
		return true, false, nil
	case slices.Equal(targets, mlpTargets):
		return false, true, nil
	case slices.Equal(targets, slices.Concat(attnTargets, mlpTargets)):
		return true, true, nil
	}
	return false, false, fmt.Errorf("%v: a Tinker service adapts whole groups; want %v, %v or both in that order", targets, attnTargets, mlpTargets)
}
