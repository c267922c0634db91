using System.Text;

namespace SomaAgent.Tests.Runtime.Models;

/// <summary>
/// Writes a tiny but complete GGUF v3 model of the <c>llama</c> architecture, so the local-model tests need no
/// download: one block, 32-wide embeddings, two heads, all tensors F32, and a byte-level SentencePiece vocabulary
/// (<c>&lt;unk&gt;</c>, <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c> and the 256 byte tokens <c>&lt;0x00&gt;</c>…<c>&lt;0xFF&gt;</c>).
/// The weights are deterministic and shaped, not trained: every token embedding carries a large constant in its
/// first dimension and the output head rewards that dimension only for lower-case letters and the space, so the
/// model writes printable gibberish and practically never samples end-of-sequence. Tests can therefore rely on a
/// reply running to its token limit. Layout: <c>ggml-org/llama.cpp: docs/gguf.md</c> and <c>gguf-py/gguf/constants.py</c>.
/// </summary>
internal static class TinyGgufWriter
{
    public const int VocabularySize = 3 + 256;
    public const int EmbeddingLength = 32;
    public const int ContextLength = 128;
    public const int BosToken = 1;
    public const int EosToken = 2;
    private const int HeadCount = 2;
    private const int FeedForwardLength = 64;
    private const int Alignment = 32;

    private enum ValueType : uint
    {
        UInt32 = 4,
        Int32 = 5,
        Float32 = 6,
        Bool = 7,
        String = 8,
        Array = 9,
    }

    /// <summary>Writes the model to <paramref name="path"/> and returns the path.</summary>
    /// <param name="path">Target file; overwritten.</param>
    /// <param name="chatTemplate">Optional <c>tokenizer.chat_template</c>; without it the provider's fallback template applies.</param>
    /// <param name="seed">Seed of the weights.</param>
    public static string Write(string path, string? chatTemplate = null, int seed = 7)
    {
        var random = new Random(seed);
        var tensors = Tensors(random);

        using var stream = File.Create(path);
        using var writer = new BinaryWriter(stream, Encoding.UTF8);
        writer.Write("GGUF"u8);
        writer.Write(3u);
        writer.Write((ulong)tensors.Count);

        var metadata = Metadata(chatTemplate);
        writer.Write((ulong)metadata.Count);
        foreach (var (key, write) in metadata)
        {
            WriteString(writer, key);
            write(writer);
        }

        ulong offset = 0;
        foreach (var tensor in tensors)
        {
            WriteString(writer, tensor.Name);
            writer.Write((uint)tensor.Shape.Length);
            foreach (var dimension in tensor.Shape)
            {
                writer.Write((ulong)dimension);
            }
            writer.Write(0u); // GGML_TYPE_F32
            writer.Write(offset);
            offset += Padded((ulong)tensor.Data.Length * sizeof(float));
        }

        Pad(writer);
        foreach (var tensor in tensors)
        {
            foreach (var value in tensor.Data)
            {
                writer.Write(value);
            }
            Pad(writer);
        }
        return path;
    }

    private static List<(string Key, Action<BinaryWriter> Write)> Metadata(string? chatTemplate)
    {
        var tokens = new List<string> { "<unk>", "<s>", "</s>" };
        tokens.AddRange(Enumerable.Range(0, 256).Select(b => $"<0x{b:X2}>"));
        // llama.cpp token types: 2 unknown, 3 control, 6 byte.
        int[] types = [2, 3, 3, .. Enumerable.Repeat(6, 256)];

        var metadata = new List<(string, Action<BinaryWriter>)>
        {
            ("general.architecture", w => StringValue(w, "llama")),
            ("general.name", w => StringValue(w, "somaagent-tiny-test")),
            ("general.alignment", w => UInt32Value(w, Alignment)),
            ("general.file_type", w => UInt32Value(w, 0)), // all F32
            ("llama.context_length", w => UInt32Value(w, ContextLength)),
            ("llama.embedding_length", w => UInt32Value(w, EmbeddingLength)),
            ("llama.block_count", w => UInt32Value(w, 1)),
            ("llama.feed_forward_length", w => UInt32Value(w, FeedForwardLength)),
            ("llama.attention.head_count", w => UInt32Value(w, HeadCount)),
            ("llama.attention.head_count_kv", w => UInt32Value(w, HeadCount)),
            ("llama.attention.layer_norm_rms_epsilon", w => { w.Write((uint)ValueType.Float32); w.Write(1e-5f); }),
            ("llama.rope.dimension_count", w => UInt32Value(w, EmbeddingLength / HeadCount)),
            ("llama.rope.freq_base", w => { w.Write((uint)ValueType.Float32); w.Write(10000f); }),
            ("llama.vocab_size", w => UInt32Value(w, VocabularySize)),
            ("tokenizer.ggml.model", w => StringValue(w, "llama")),
            ("tokenizer.ggml.tokens", w => ArrayValue(w, ValueType.String, tokens, (x, t) => WriteString(x, t))),
            ("tokenizer.ggml.scores", w => ArrayValue(w, ValueType.Float32, tokens, (x, _) => x.Write(0f))),
            ("tokenizer.ggml.token_type", w => ArrayValue(w, ValueType.Int32, types, (x, t) => x.Write(t))),
            ("tokenizer.ggml.unknown_token_id", w => UInt32Value(w, 0)),
            ("tokenizer.ggml.bos_token_id", w => UInt32Value(w, BosToken)),
            ("tokenizer.ggml.eos_token_id", w => UInt32Value(w, EosToken)),
            ("tokenizer.ggml.add_bos_token", w => { w.Write((uint)ValueType.Bool); w.Write(true); }),
            ("tokenizer.ggml.add_eos_token", w => { w.Write((uint)ValueType.Bool); w.Write(false); }),
        };
        if (chatTemplate is not null)
        {
            metadata.Add(("tokenizer.chat_template", w => StringValue(w, chatTemplate)));
        }
        return metadata;
    }

    /// <summary>Tensor shapes are GGML order (fastest dimension first): a [n_embd, n_vocab] matrix is n_vocab rows of n_embd.</summary>
    private static List<(string Name, int[] Shape, float[] Data)> Tensors(Random random)
    {
        float[] Noise(int count, float scale) => [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1) * scale)];
        float[] Ones(int count) => [.. Enumerable.Repeat(1f, count)];

        var embeddings = Noise(EmbeddingLength * VocabularySize, 0.1f);
        var output = Noise(EmbeddingLength * VocabularySize, 0.05f);
        for (var token = 0; token < VocabularySize; token++)
        {
            embeddings[token * EmbeddingLength] = 4f;
            var isLetterOrSpace = token >= 3 && (char)(token - 3) is (>= 'a' and <= 'z') or ' ';
            output[token * EmbeddingLength] = isLetterOrSpace ? 1f + (float)random.NextDouble() * 0.5f : -1f;
        }

        return
        [
            ("token_embd.weight", [EmbeddingLength, VocabularySize], embeddings),
            ("output_norm.weight", [EmbeddingLength], Ones(EmbeddingLength)),
            ("output.weight", [EmbeddingLength, VocabularySize], output),
            ("blk.0.attn_norm.weight", [EmbeddingLength], Ones(EmbeddingLength)),
            ("blk.0.attn_q.weight", [EmbeddingLength, EmbeddingLength], Noise(EmbeddingLength * EmbeddingLength, 0.02f)),
            ("blk.0.attn_k.weight", [EmbeddingLength, EmbeddingLength], Noise(EmbeddingLength * EmbeddingLength, 0.02f)),
            ("blk.0.attn_v.weight", [EmbeddingLength, EmbeddingLength], Noise(EmbeddingLength * EmbeddingLength, 0.02f)),
            ("blk.0.attn_output.weight", [EmbeddingLength, EmbeddingLength], Noise(EmbeddingLength * EmbeddingLength, 0.02f)),
            ("blk.0.ffn_norm.weight", [EmbeddingLength], Ones(EmbeddingLength)),
            ("blk.0.ffn_gate.weight", [EmbeddingLength, FeedForwardLength], Noise(EmbeddingLength * FeedForwardLength, 0.02f)),
            ("blk.0.ffn_up.weight", [EmbeddingLength, FeedForwardLength], Noise(EmbeddingLength * FeedForwardLength, 0.02f)),
            ("blk.0.ffn_down.weight", [FeedForwardLength, EmbeddingLength], Noise(FeedForwardLength * EmbeddingLength, 0.02f)),
        ];
    }

    private static ulong Padded(ulong size) => (size + Alignment - 1) / Alignment * Alignment;

    private static void Pad(BinaryWriter writer)
    {
        writer.Flush();
        var position = (ulong)writer.BaseStream.Position;
        for (var i = position; i < Padded(position); i++)
        {
            writer.Write((byte)0);
        }
    }

    private static void WriteString(BinaryWriter writer, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        writer.Write((ulong)bytes.Length);
        writer.Write(bytes);
    }

    private static void StringValue(BinaryWriter writer, string value)
    {
        writer.Write((uint)ValueType.String);
        WriteString(writer, value);
    }

    private static void UInt32Value(BinaryWriter writer, uint value)
    {
        writer.Write((uint)ValueType.UInt32);
        writer.Write(value);
    }

    private static void ArrayValue<T>(BinaryWriter writer, ValueType elementType, IReadOnlyCollection<T> items, Action<BinaryWriter, T> write)
    {
        writer.Write((uint)ValueType.Array);
        writer.Write((uint)elementType);
        writer.Write((ulong)items.Count);
        foreach (var item in items)
        {
            write(writer, item);
        }
    }
}
