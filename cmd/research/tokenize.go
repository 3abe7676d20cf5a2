package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"research/internal/jsonl"
	"research/internal/progress"
	"research/tokenizer"
)

func init() {
	rootCmd.AddCommand(newTokenizeCmd())
	rootCmd.AddCommand(newDetokenizeCmd())
}

// tokenizerFlags adds the two flags tokenize and detokenize share.
func tokenizerFlags(cmd *cobra.Command, path *string, special *bool, specialUsage string) {
	cmd.Flags().StringVar(path, "tokenizer", "", "tokenizer.json, or a directory holding tokenizer.json, vocab.json+merges.txt or encoder.json+vocab.bpe")
	cmd.Flags().BoolVar(special, "special", false, specialUsage)
	_ = cmd.MarkFlagRequired("tokenizer")
}

func newTokenizeCmd() *cobra.Command {
	var path string
	var special bool
	cmd := &cobra.Command{
		Use:   "tokenize --tokenizer PATH [--special] [FILE|-]",
		Short: "Encode text lines or JSONL {text} into JSONL {text, ids}",
		Long: `tokenize encodes each input line with a byte-level BPE tokenizer (HF
tokenizer.json, or a directory with tokenizer.json, vocab.json+merges.txt or
GPT-2's encoder.json+vocab.bpe) and writes one JSON object {"text","ids"} per
line. A line that starts with "{" must be a JSON object with a string field
"text" (other fields are kept); any other line is the text itself.

Special-token strings such as <|im_end|> are encoded as plain text unless
--special is given, so that documents cannot inject control tokens.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tk, err := tokenizer.Load(path)
			if err != nil {
				return err
			}
			encode := tk.EncodeOrdinary
			if special {
				encode = tk.Encode
			}
			return mapLines(cmd.OutOrStdout(), args, "tokenize", func(line []byte) (jsonObject, error) {
				obj := jsonObject{}
				var text string
				if bytes.HasPrefix(line, []byte("{")) {
					if err := json.Unmarshal(line, &obj); err != nil {
						return nil, fmt.Errorf("want a JSON object: %w", err)
					}
					if err := obj.decodeField("text", &text, false); err != nil {
						return nil, err
					}
				} else {
					text = string(line)
					if err := obj.set("text", text); err != nil {
						return nil, err
					}
				}
				return obj, obj.set("ids", encode(text))
			})
		},
	}
	tokenizerFlags(cmd, &path, &special, "encode special-token strings (e.g. <|im_end|>) as special ids")
	return cmd
}

func newDetokenizeCmd() *cobra.Command {
	var path string
	var special bool
	cmd := &cobra.Command{
		Use:   "detokenize --tokenizer PATH [--special] [FILE|-]",
		Short: "Decode JSONL {ids} (or lines of ids) into JSONL {text, ids}",
		Long: `detokenize decodes token ids back into text. Each input line is either a
JSON object with an integer array "ids" (other fields are kept) or ids
separated by spaces. It writes one JSON object {"text","ids"} per line.

Special tokens are left out of the text unless --special is given.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tk, err := tokenizer.Load(path)
			if err != nil {
				return err
			}
			return mapLines(cmd.OutOrStdout(), args, "detokenize", func(line []byte) (jsonObject, error) {
				obj := jsonObject{}
				var ids []int
				if bytes.HasPrefix(line, []byte("{")) {
					if err := json.Unmarshal(line, &obj); err != nil {
						return nil, fmt.Errorf("want a JSON object: %w", err)
					}
					if err := obj.decodeField("ids", &ids, false); err != nil {
						return nil, err
					}
				} else {
					for i, f := range bytes.Fields(line) {
						id, err := strconv.Atoi(string(f))
						if err != nil {
							return nil, fmt.Errorf("id %d: %q is not an integer", i+1, f)
						}
						ids = append(ids, id)
					}
					if err := obj.set("ids", ids); err != nil {
						return nil, err
					}
				}
				text, err := tk.Decode(ids, !special)
				if err != nil {
					return nil, err
				}
				return obj, obj.set("text", text)
			})
		},
	}
	tokenizerFlags(cmd, &path, &special, "keep special tokens in the decoded text")
	return cmd
}

// maxLine bounds one input line (a long document is still one line).
const maxLine = 256 << 20

// mapLines reads the input named by args line by line, turns each
// non-empty line into an object with fn and writes the non-nil objects as
// JSON Lines. Errors name the input and line; progress is shown in bytes.
func mapLines(w io.Writer, args []string, desc string, fn func([]byte) (jsonObject, error)) error {
	r, name, err := openInput(args)
	if err != nil {
		return err
	}
	defer r.Close()
	total := int64(-1)
	if f, ok := r.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			total = st.Size()
		}
	}
	bar := progress.New(total, desc, "bytes")
	defer bar.Finish()
	lr := jsonl.NewReader(bufio.NewReaderSize(r, 1<<20), name, maxLine)
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for {
		line, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		lineNo := lr.Line()
		bar.Add(len(line) + 1)
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		obj, err := fn(line)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, lineNo, err)
		}
		if obj == nil {
			continue // fn consumed the line
		}
		if err := enc.Encode(obj); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}
