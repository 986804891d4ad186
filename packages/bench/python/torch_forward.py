"""The teacher bench's PyTorch reference: the very same BERT forward pass gdfo's teacher computes (shallow
'add' prompt on the word embeddings after [CLS], post-LayerNorm encoder, MLM head at the mask rows, verbalizer
logits), written out in plain torch from a Hugging Face folder's model.safetensors (no transformers needed).

Reads a JSON request on stdin: {dir, ids: [B*S], batch, seq, lengths: [B], promptLength, prompt: [L*H],
maskRows: [B] (flat b*S+s), verb: [k], calls, threads}. Prints one JSON line: {torch, threads, ms, min_ms, logits}.
Run with Debian's interpreter: /usr/bin/python3 (apt-get install python3-torch python3-numpy).
"""
import json, math, struct, sys, time

import numpy as np
import torch


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = data[base + begin : base + end]
        if info["dtype"] == "F32":
            arr = np.frombuffer(raw, dtype="<f4")
        elif info["dtype"] == "F16":
            arr = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        elif info["dtype"] == "BF16":
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise SystemExit(f"{path}: tensor {name}: unsupported dtype {info['dtype']}")
        out[name] = torch.from_numpy(arr.astype(np.float32).reshape(info["shape"]).copy())
    return out


def main():
    req = json.load(sys.stdin)
    torch.set_num_threads(int(req.get("threads", 2)))
    cfg = json.load(open(f"{req['dir']}/config.json"))
    W = load_safetensors(f"{req['dir']}/model.safetensors")
    pre = "bert." if cfg["model_type"] == "bert" else "roberta."
    off = 0 if cfg["model_type"] == "bert" else cfg.get("pad_token_id", 1) + 1
    head = "cls.predictions.transform." if cfg["model_type"] == "bert" else "lm_head."
    head_ln = head + ("LayerNorm" if cfg["model_type"] == "bert" else "layer_norm")
    bias = W.get("cls.predictions.bias", W.get("lm_head.bias"))
    eps = cfg.get("layer_norm_eps", 1e-12)
    H, nh, nl = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_hidden_layers"]
    dh = H // nh
    B, S, L = req["batch"], req["seq"], req["promptLength"]
    ids = torch.tensor(req["ids"], dtype=torch.long).view(B, S)
    lengths = torch.tensor(req["lengths"])
    prompt = torch.tensor(req["prompt"], dtype=torch.float32).view(L, H)
    mask_rows = torch.tensor(req["maskRows"], dtype=torch.long)
    verb = torch.tensor(req["verb"], dtype=torch.long)
    key_mask = torch.where(torch.arange(S)[None, :] < lengths[:, None], 0.0, -1e9).view(B, 1, 1, S)
    E = W[pre + "embeddings.word_embeddings.weight"]
    ln = lambda x, p: torch.nn.functional.layer_norm(x, (H,), W[p + ".weight"], W[p + ".bias"], eps)
    lin = lambda x, p: torch.nn.functional.linear(x, W[p + ".weight"], W[p + ".bias"])
    gelu = torch.nn.functional.gelu  # exact erf GELU

    def forward():
        x = E[ids]
        x[:, 1 : 1 + L] += prompt
        x = x + W[pre + "embeddings.position_embeddings.weight"][off : off + S] + W[pre + "embeddings.token_type_embeddings.weight"][0]
        x = ln(x, pre + "embeddings.LayerNorm")
        for l in range(nl):
            p = f"{pre}encoder.layer.{l}."
            heads = lambda t: t.view(B, S, nh, dh).transpose(1, 2)
            q, k, v = (heads(lin(x, p + f"attention.self.{n}")) for n in ("query", "key", "value"))
            a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + key_mask, dim=-1)
            ctx = (a @ v).transpose(1, 2).reshape(B, S, H)
            if l == nl - 1:  # after the last attention only the mask rows matter (as in gdfo)
                ctx, x = ctx.reshape(B * S, H)[mask_rows], x.reshape(B * S, H)[mask_rows]
            x = ln(x + lin(ctx, p + "attention.output.dense"), p + "attention.output.LayerNorm")
            x = ln(x + lin(gelu(lin(x, p + "intermediate.dense")), p + "output.dense"), p + "output.LayerNorm")
        h = ln(gelu(lin(x, head + "dense")), head_ln)
        return h @ E[verb].T + bias[verb]

    with torch.inference_mode():
        logits = forward()
        forward()
        times = []
        for _ in range(int(req.get("calls", 10))):
            t = time.perf_counter()
            forward()
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "ms": times[len(times) // 2], "min_ms": times[0], "logits": logits.flatten().tolist()}))


main()
