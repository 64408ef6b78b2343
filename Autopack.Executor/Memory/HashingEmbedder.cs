using System.Text;
using Microsoft.Extensions.AI;

namespace Autopack.Executor.Memory;

/// <summary>
/// Local, deterministic embeddings when no embedding model is configured: feature hashing of lowercased
/// word tokens and word bigrams into a fixed number of signed buckets, L2-normalized (so cosine = dot).
/// Texts sharing words land near each other, which is what recalling a similar error needs.
/// </summary>
public sealed class HashingEmbedder(int dimensions = 384) : IEmbeddingGenerator<string, Embedding<float>>
{
    public int Dimensions => dimensions;

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default) =>
        Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(v => new Embedding<float>(Embed(v)))));

    public float[] Embed(string text)
    {
        var vector = new float[dimensions];
        var tokens = Tokenize(text);
        for (var i = 0; i < tokens.Count; i++)
        {
            Add(vector, tokens[i], 1f);
            if (i + 1 < tokens.Count) Add(vector, tokens[i] + " " + tokens[i + 1], 0.5f);
        }
        var norm = MathF.Sqrt(vector.Sum(x => x * x));
        if (norm > 0) for (var i = 0; i < vector.Length; i++) vector[i] /= norm;
        return vector;
    }

    private void Add(float[] vector, string feature, float weight)
    {
        var h = Fnv1a(feature);
        vector[(int)(h % (uint)dimensions)] += (h & 0x80000000) == 0 ? weight : -weight;
    }

    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var sb = new StringBuilder();
        foreach (var ch in text)
        {
            if (char.IsLetterOrDigit(ch) || ch == '_') sb.Append(char.ToLowerInvariant(ch));
            else if (sb.Length > 0) { tokens.Add(sb.ToString()); sb.Clear(); }
        }
        if (sb.Length > 0) tokens.Add(sb.ToString());
        return tokens;
    }

    private static uint Fnv1a(string s)
    {
        var h = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(s)) { h ^= b; h *= 16777619u; }
        return h;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose() { }
}
