package tokenizer_test

import (
	"fmt"
	"log"

	"research/tokenizer"
)

func Example() {
	tk, err := tokenizer.Load("testdata/trained/tokenizer.json")
	if err != nil {
		log.Fatal(err)
	}
	prompt, err := tokenizer.QwenChat([]tokenizer.Message{
		{Role: "system", Content: "Answer briefly."},
		{Role: "user", Content: "Who wrote Hamlet?"},
	}, true)
	if err != nil {
		log.Fatal(err)
	}
	ids := tk.Encode(prompt) // <|im_start|> and <|im_end|> become special ids
	text, _ := tk.Decode(ids, true)
	fmt.Printf("%d ids; without special tokens: %q\n", len(ids), text)

	// Streaming: pieces never split a UTF-8 character.
	d := tk.NewStreamDecoder(false)
	for _, id := range tk.Encode("café 🤖") {
		piece, _ := d.Next(id)
		fmt.Printf("%q ", piece)
	}
	fmt.Printf("%q\n", d.Flush())
	// Output:
	// 39 ids; without special tokens: "system\nAnswer briefly.\nuser\nWho wrote Hamlet?\nassistant\n"
	// "c" "a" "f" "é" " " "" "" "" "🤖" ""
}
