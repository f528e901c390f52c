namespace Matching.Engine.Ranking;

/// <summary>Which code walks a batch of rows through the trees. Every kernel gives the same bits; only speed differs.</summary>
internal enum ScoringKernel
{
    /// <summary>The fastest kernel this machine and model allow.</summary>
    Auto,

    /// <summary>Node-by-node traversal, eight rows at a time. Runs everywhere.</summary>
    Traversal,

    /// <summary>
    /// Leaf bitvectors (QuickScorer), sixteen rows to an AVX-512 vector. Needs AVX-512F and trees
    /// of at most <see cref="LambdaMartModel.BitvectorLeaves"/> leaves.
    /// </summary>
    LeafBitvectors,
}
