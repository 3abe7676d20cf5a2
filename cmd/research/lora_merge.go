package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"research/model"
)

func init() { rootCmd.AddCommand(newLoRAMergeCmd()) }

func newLoRAMergeCmd() *cobra.Command {
	var base, adapter, out, dtype string
	cmd := &cobra.Command{
		Use:   "lora-merge --model DIR --adapter DIR --out DIR",
		Short: "Merge a PEFT LoRA adapter into its base model",
		Long: `lora-merge loads a Qwen2 base model (HF directory or .gguf) and a PEFT LoRA
adapter (adapter_config.json + adapter_model.safetensors, as HF PEFT, vLLM and
this program's trainer write), adds alpha/r · B·A into each adapted projection,
and writes the merged model to --out as config.json + model.safetensors.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLoRAMerge(base, adapter, out, strings.ToUpper(dtype))
		},
	}
	cmd.Flags().StringVar(&base, "model", "", "base model: HF directory or .gguf file (required)")
	cmd.Flags().StringVar(&adapter, "adapter", "", "PEFT LoRA adapter directory (required)")
	cmd.Flags().StringVar(&out, "out", "", "directory to write the merged model to (required)")
	cmd.Flags().StringVar(&dtype, "dtype", "F32", "weight type of the merged model: F32, BF16 or F16")
	for _, f := range []string{"model", "adapter", "out"} {
		cmd.MarkFlagRequired(f)
	}
	return cmd
}

func runLoRAMerge(base, adapter, out, dtype string) error {
	if dtype != "F32" && dtype != "BF16" && dtype != "F16" {
		return fmt.Errorf("--dtype %q: want F32, BF16 or F16", dtype)
	}
	m, err := model.Load(base)
	if err != nil {
		return fmt.Errorf("--model: %w", err)
	}
	defer m.Close()
	l, err := model.LoadLoRA(adapter, &m.Config)
	if err != nil {
		return fmt.Errorf("--adapter: %w", err)
	}
	l.Merge(m)
	if err := m.Save(out, dtype); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	return nil
}
