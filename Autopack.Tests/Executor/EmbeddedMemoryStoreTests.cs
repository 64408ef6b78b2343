using System.Runtime.InteropServices;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Executor.Memory;
using Autopack.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Autopack.Tests.Executor;

/// <summary>The embedded vector index: every stored entry is searchable, across executors sharing one database.</summary>
[Trait("Category", "Db")]
public sealed class EmbeddedMemoryStoreTests : IDisposable
{
    private readonly HashingEmbedder _embedder = new();

    public void Dispose() => _embedder.Dispose();

    [Fact]
    public async Task The_oldest_of_six_thousand_entries_is_still_the_best_hit_for_its_own_text()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        var start = DateTime.UtcNow.AddDays(-30);
        await using (var ctx = db.CreateContext())
        {
            // More rows than the old scan window (the newest 5,000) and the target the oldest of them.
            ctx.MemoryEntries.AddRange(Enumerable.Range(0, 6_000).Select(i => Entry(TextOf(i), "run-" + i % 7, "error", start.AddMinutes(i))));
            await ctx.SaveChangesAsync();
        }
        var store = new EmbeddedMemoryStore(Factory(db), "mem");

        foreach (var target in new[] { 0, 1, 2_999, 5_999 })
        {
            var hits = await store.SearchAsync(_embedder.Embed(TextOf(target)), 3, null, default);
            Assert.Equal(TextOf(target), hits[0].Text);
            Assert.Equal(1.0, hits[0].Score, 4);
            Assert.True(hits[0].Score > hits[1].Score && hits[1].Score >= hits[2].Score);
        }
    }

    [Fact]
    public async Task What_another_executor_remembers_is_found_by_the_next_search_even_when_it_committed_late()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        var mine = new EmbeddedMemoryStore(Factory(db), "mem");
        var theirs = new EmbeddedMemoryStore(Factory(db), "mem");

        await mine.StoreAsync("error", "CI_FAILED: expected 'Hello, Autopack' in greet.sh", "run-1", "P1", _embedder.Embed("CI_FAILED: expected 'Hello, Autopack' in greet.sh"), default);
        Assert.Single(await mine.SearchAsync(_embedder.Embed("Hello Autopack"), 5, null, default)); // loaded: one row

        const string fix = "Error: CI_FAILED expected Hello Autopack. Fixed by: echo \"Hello, Autopack\" in greet.sh";
        await theirs.StoreAsync("fix", fix, "run-2", "P1", _embedder.Embed(fix), default);
        var hits = await mine.SearchAsync(_embedder.Embed(fix), 5, null, default);
        Assert.Equal((fix, "run-2"), (hits[0].Text, hits[0].RunId));

        // A row stamped a minute before the newest one seen (its writer's clock, its commit late) is still picked up.
        const string late = "Phase 'docs' failed with TIMEOUT: the README build hung on a network fetch";
        await using (var ctx = db.CreateContext())
        {
            var newest = ctx.MemoryEntries.Max(m => m.CreatedAt);
            ctx.MemoryEntries.Add(Entry(late, "run-3", "error", newest.AddMinutes(-1)));
            await ctx.SaveChangesAsync();
        }
        hits = await mine.SearchAsync(_embedder.Embed(late), 5, null, default);
        Assert.Equal(late, hits[0].Text);
        Assert.Equal(3, hits.Count);
    }

    [Fact]
    public async Task A_row_stamped_an_hour_ahead_by_a_fast_clock_does_not_hide_the_rows_written_after_it()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        var mine = new EmbeddedMemoryStore(Factory(db), "mem");
        await using (var ctx = db.CreateContext())
        {
            ctx.MemoryEntries.Add(Entry("written by a host whose clock is an hour fast", "run-1", "error", DateTime.UtcNow.AddHours(1)));
            await ctx.SaveChangesAsync();
        }
        Assert.Single(await mine.SearchAsync(_embedder.Embed("clock"), 5, null, default)); // loaded; the newest row seen is an hour ahead

        const string text = "CI_FAILED: expected 'Hello, Autopack' in greet.sh";
        await new EmbeddedMemoryStore(Factory(db), "mem").StoreAsync("error", text, "run-2", "P1", _embedder.Embed(text), default);
        var hits = await mine.SearchAsync(_embedder.Embed(text), 5, null, default);
        Assert.Equal((text, 2), (hits[0].Text, hits.Count));
    }

    [Fact]
    public async Task A_recall_can_be_narrowed_to_a_run_and_a_kind_and_another_embedder_s_vectors_never_match()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        var store = new EmbeddedMemoryStore(Factory(db), "mem");
        const string text = "CI_FAILED: expected 'Hello, Autopack'";
        foreach (var (run, kind) in new[] { ("run-1", "error"), ("run-1", "fix"), ("run-2", "error"), ("run-2", "summary") })
            await store.StoreAsync(kind, $"{text} ({run} {kind})", run, "P1", _embedder.Embed(text), default);
        await store.StoreAsync("error", "from an 8-dimension embedder", "run-1", "P1", new float[] { 1, 0, 0, 0, 0, 0, 0, 0 }, default);
        var query = _embedder.Embed(text);

        Assert.Equal(4, (await store.SearchAsync(query, 10, null, default)).Count);
        Assert.Equal(["run-1 error", "run-1 fix"], Labels(await store.SearchAsync(query, 10, new MemoryFilter(RunId: "run-1"), default)));
        Assert.Equal(["run-1 error", "run-2 error"], Labels(await store.SearchAsync(query, 10, new MemoryFilter(Kind: "error"), default)));
        Assert.Equal(["run-2 summary"], Labels(await store.SearchAsync(query, 10, new MemoryFilter("run-2", "summary"), default)));
        var other = Assert.Single(await store.SearchAsync(new float[] { 2, 0, 0, 0, 0, 0, 0, 0 }, 10, null, default));
        Assert.Equal(("from an 8-dimension embedder", 1.0), (other.Text, other.Score));

        // A new process loads the same rows from the database.
        var restarted = new EmbeddedMemoryStore(Factory(db), "mem");
        Assert.Equal(["run-1 fix"], Labels(await restarted.SearchAsync(query, 10, new MemoryFilter("run-1", "fix"), default)));
    }

    [Fact]
    public void The_index_ranks_by_approximate_cosine_best_first_and_keeps_one_row_per_id()
    {
        var index = new VectorIndex();
        var ids = Enumerable.Range(0, 50).Select(_ => Guid.NewGuid()).ToArray();
        for (var i = 0; i < ids.Length; i++) Assert.True(index.Add(ids[i], "error", null, _embedder.Embed(TextOf(i))));
        Assert.False(index.Add(ids[7], "error", null, _embedder.Embed("anything")));
        Assert.True(index.Add(Guid.NewGuid(), "error", null, new float[384])); // a zero vector: similarity 0, never NaN

        var top = index.Search(_embedder.Embed(TextOf(7)).Select(x => x * 3).ToArray(), 5, null); // scale does not matter
        Assert.Equal(ids[7], top[0].Id);
        Assert.InRange(top[0].Score, 0.98, 1.02); // quantized: approximate
        Assert.Equal(top.OrderByDescending(t => t.Score).Select(t => t.Id), top.Select(t => t.Id));
        Assert.Equal(51, index.Search(_embedder.Embed(TextOf(7)), 100, null).Count);
        for (var i = 0; i < ids.Length; i++) Assert.Equal(ids[i], index.Search(_embedder.Embed(TextOf(i)), 1, null)[0].Id); // whatever the sign of the largest component
        var negative = new float[384];
        negative[3] = -1f;
        negative[4] = 0.2f;
        var negativeId = Guid.NewGuid();
        index.Add(negativeId, "error", null, negative);
        Assert.Equal(negativeId, index.Search(negative, 1, null)[0].Id);
        Assert.Empty(index.Search(new float[384], 5, null));
        Assert.Empty(index.Search(_embedder.Embed(TextOf(7)), 5, new MemoryFilter(RunId: "nobody")));
    }

    private static string[] Labels(IEnumerable<MemoryHit> hits) => hits.Select(h => $"{h.RunId} {h.Kind}").Order().ToArray();

    private static string TextOf(int i) => $"error CS{1000 + i % 9000}: missing reference in src/module{i % 97}/file{i % 31}.cs entry {i}";

    private MemoryEntry Entry(string text, string runId, string kind, DateTime createdAt) => new()
    {
        Collection = "mem", Kind = kind, Text = text, RunId = runId, PhaseId = "P1",
        Vector = MemoryMarshal.AsBytes(_embedder.Embed(text).AsSpan()).ToArray(), CreatedAt = createdAt,
    };

    private static IAutopackDbFactory Factory(TestDatabase db) =>
        new ServiceCollection().AddAutopackData(db.Connection).BuildServiceProvider().GetRequiredService<IAutopackDbFactory>();
}
