package tokenizer

import (
	"errors"
	"fmt"
	"strings"
)

// Message is one turn of a chat.
type Message struct {
	Role    string `json:"role"` // "system", "user", "assistant" or "tool"
	Content string `json:"content"`
}

// QwenDefaultSystem is the system prompt Qwen2.5-Instruct's template
// inserts when a chat does not start with a system message.
const QwenDefaultSystem = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."

// QwenChat renders messages with Qwen2.5-Instruct's chat template (ChatML),
// as transformers' apply_chat_template(tokenize=False) does without tools:
//
//	<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{q}<|im_end|>\n<|im_start|>assistant\n
//
// with QwenDefaultSystem when the first message is not a system message,
// consecutive tool messages grouped into one user turn of
// <tool_response> blocks, and the final assistant header only when
// addGenerationPrompt is set. Encode the result with Encode (not
// EncodeOrdinary) so that <|im_start|> and <|im_end|> become special ids.
func QwenChat(messages []Message, addGenerationPrompt bool) (string, error) {
	if len(messages) == 0 {
		return "", errors.New("chat template: no messages")
	}
	var sb strings.Builder
	if messages[0].Role == "system" {
		turn(&sb, "system", messages[0].Content)
	} else {
		turn(&sb, "system", QwenDefaultSystem)
	}
	for i, m := range messages {
		switch m.Role {
		case "system":
			if i > 0 {
				turn(&sb, m.Role, m.Content)
			}
		case "user", "assistant":
			turn(&sb, m.Role, m.Content)
		case "tool":
			if i == 0 || messages[i-1].Role != "tool" {
				sb.WriteString("<|im_start|>user")
			}
			sb.WriteString("\n<tool_response>\n" + m.Content + "\n</tool_response>")
			if i == len(messages)-1 || messages[i+1].Role != "tool" {
				sb.WriteString("<|im_end|>\n")
			}
		default:
			return "", fmt.Errorf("chat template: message %d has role %q; want system, user, assistant or tool", i, m.Role)
		}
	}
	if addGenerationPrompt {
		sb.WriteString("<|im_start|>assistant\n")
	}
	return sb.String(), nil
}

func turn(sb *strings.Builder, role, content string) {
	sb.WriteString("<|im_start|>" + role + "\n" + content + "<|im_end|>\n")
}
