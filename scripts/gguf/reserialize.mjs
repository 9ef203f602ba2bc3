// Parses a GGUF file with @huggingface/gguf, prints what it read, and writes it again with its metadata
// re-serialized by that library (plus keys of value types Stride's test writer never writes).
import { gguf, buildGgufHeader, GGUFValueType } from "@huggingface/gguf";
import fs from "node:fs";
const [file, out] = process.argv.slice(2);
const parsed = await gguf(file, { allowLocalFile: true, typedMetadata: true });
const { metadata, tensorInfos, tensorDataOffset, typedMetadata, tensorInfoByteRange, littleEndian } = parsed;
console.log("version", metadata.version, "tensors", tensorInfos.length, "kv", metadata.kv_count, "data offset", tensorDataOffset);
for (const k of ["general.architecture","llama.block_count","llama.embedding_length","llama.attention.head_count_kv","llama.rope.freq_base","llama.attention.layer_norm_rms_epsilon","tokenizer.ggml.model","tokenizer.ggml.bos_token_id","tokenizer.ggml.add_bos_token"]) console.log(k, metadata[k]);
console.log("tokens", metadata["tokenizer.ggml.tokens"].length, metadata["tokenizer.ggml.tokens"].slice(0,4), "merges", metadata["tokenizer.ggml.merges"].length, "types", metadata["tokenizer.ggml.token_type"].slice(0,3));
for (const t of tensorInfos.slice(0, 4)) console.log(t.name, t.shape, t.dtype, t.offset);
// Re-serialize the metadata with HF's writer (other value types, a longer name), keeping tensor infos and data.
typedMetadata["general.name"] = { value: "re-serialized by @huggingface/gguf", type: GGUFValueType.STRING };
typedMetadata["test.u64"] = { value: 12345678901234n, type: GGUFValueType.UINT64 };
typedMetadata["test.f64"] = { value: 0.1, type: GGUFValueType.FLOAT64 };
typedMetadata["test.i16"] = { value: -7, type: GGUFValueType.INT16 };
typedMetadata["test.flags"] = { value: [true, false], type: GGUFValueType.ARRAY, subType: GGUFValueType.BOOL };
const original = fs.readFileSync(file);
const header = await buildGgufHeader(new Blob([original]), typedMetadata, { littleEndian, tensorInfoByteRange, alignment: 32 });
const headerBytes = Buffer.from(await header.arrayBuffer());
fs.writeFileSync(out, Buffer.concat([headerBytes, original.subarray(Number(tensorDataOffset))]));
const again = await gguf(out, { allowLocalFile: true });
console.log("rebuilt:", again.metadata["general.name"], again.metadata["test.u64"], "data offset", again.tensorDataOffset, "header bytes", headerBytes.length);
