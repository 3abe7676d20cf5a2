#!/bin/sh
# Regenerates the llama.cpp agreement fixtures: three random-weight Qwen2
# models written by ../shared/tools/random_qwen2.py (seeded, deterministic),
# each with reference.json (float64 numpy forward) and llama.json (llama.cpp's
# top-20 next-token probabilities and 32-token greedy continuation for the
# same prompt, F32 KV cache, no flash attention).
#
# Needs Debian's python3-numpy and node with node-llama-cpp installed in a
# writable copy of shared/tools/llamacpp (see its README):
#   LLAMACPP=/tmp/llamacpp sh make.sh
# The GGUF files are only needed here and are not committed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tools=${TOOLS:-$here/../../../../shared/tools}
llamacpp=${LLAMACPP:?set LLAMACPP to a copy of shared/tools/llamacpp with node_modules installed}

make() { # name, then random_qwen2.py flags
	name=$1; shift
	/usr/bin/python3 "$tools/random_qwen2.py" --out "$here/$name" --greedy 32 "$@"
	prompt=$(/usr/bin/python3 -c "import json,sys; print(','.join(map(str, json.load(open(sys.argv[1]))['prompt'])))" "$here/$name/reference.json")
	(cd "$llamacpp" && node ref.mjs "$here/$name/model.gguf" "$prompt" 32) > "$here/$name/llama.json"
	rm "$here/$name/model.gguf"
}

# one tied head
make tied --seed 11 --hidden 64 --layers 2 --heads 4 --kv-heads 2 --ffn 128 --vocab 512 --tied
# vocab ≥ 4096 and ≥ 4 layers, stored as BF16
make vocab4096 --seed 12 --hidden 128 --layers 4 --heads 8 --kv-heads 2 --ffn 320 --vocab 4096 --dtype BF16
# Qwen2.5-0.5B's attention layout: 14 heads, 2 KV heads, head dim 64 (hidden 896);
# one layer, a small FFN and vocab and BF16 storage keep the file small; untied,
# because a tied head this wide makes the random model repeat its input token
make qwen05-heads --seed 13 --hidden 896 --layers 1 --heads 14 --kv-heads 2 --ffn 128 --vocab 300 --dtype BF16
