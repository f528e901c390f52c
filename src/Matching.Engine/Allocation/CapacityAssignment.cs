namespace Matching.Engine.Allocation;

/// <summary>
/// One client of an assignment problem: the therapists the client may be given (each at most
/// once) and what each pair is worth. Giving the client no one is worth 0, so a weight below 0
/// is never used; shift the weights to make every real option better than none.
/// </summary>
/// <param name="Therapists">Therapist indices, 0 to the problem's therapist count - 1.</param>
/// <param name="Weights">The value of each pair, same length.</param>
public readonly record struct AssignmentClient(int[] Therapists, double[] Weights);

/// <summary>
/// An exact maximum-weight assignment of clients to therapists with capacities (a b-matching),
/// and the capacity constraints' shadow prices.
/// </summary>
/// <param name="TherapistOf">For each client, the therapist assigned, or -1 for none.</param>
/// <param name="Load">Clients assigned to each therapist; never above its capacity.</param>
/// <param name="Prices">
/// The dual of each therapist's capacity constraint, in weight units, 0 or more: what one more
/// place at that therapist would add to the total. 0 for a therapist with a place left. With
/// these prices every client's assigned therapist maximises weight minus price among the
/// client's options (and giving no one, worth 0), which is what makes them a ranking signal.
/// </param>
/// <param name="Total">Sum of the weights of the assigned pairs.</param>
public sealed record CapacityAssignment(int[] TherapistOf, int[] Load, double[] Prices, double Total)
{
    /// <summary>
    /// Solves the assignment exactly by successive shortest augmenting paths with node potentials
    /// (Dijkstra on reduced costs, stopped as soon as the sink is reached), one client at a time;
    /// a client can always fall back on "no one" (an option of weight 0 without a capacity), so
    /// adding a client may move earlier clients but never loses value. The final potentials are
    /// an optimal dual, from which the prices are read.
    /// </summary>
    /// <param name="capacity">Places of each therapist (0 or more); its length is the therapist count.</param>
    /// <param name="clients">The clients, in any order (the optimum does not depend on it).</param>
    /// <exception cref="ArgumentException">A therapist index out of range, a negative capacity, mismatched lengths or a weight that is not finite.</exception>
    public static CapacityAssignment Solve(IReadOnlyList<int> capacity, IReadOnlyList<AssignmentClient> clients)
    {
        ArgumentNullException.ThrowIfNull(capacity);
        ArgumentNullException.ThrowIfNull(clients);
        return new Solver(capacity, clients).Run();
    }

    /// <summary>
    /// Node layout: clients 0..n-1, therapists n..n+m-1, "no one" n+m (unlimited places), sink
    /// n+m+1. Costs are negated weights; potentials keep reduced costs non-negative.
    /// </summary>
    private sealed class Solver
    {
        private readonly int _n, _m, _none, _sink;
        private readonly int[] _capacity;
        private readonly AssignmentClient[] _clients;
        private readonly int[] _of;
        private readonly double[] _held;
        private readonly int[] _load;
        private readonly List<int>[] _assigned;
        private readonly double[] _pi, _dist;
        private readonly int[] _parent;
        private readonly int[] _done;
        private readonly int[] _seen;
        private int _round;

        public Solver(IReadOnlyList<int> capacity, IReadOnlyList<AssignmentClient> clients)
        {
            _n = clients.Count;
            _m = capacity.Count;
            _none = _n + _m;
            _sink = _none + 1;
            _capacity = new int[_m];
            for (var j = 0; j < _m; j++)
            {
                if (capacity[j] < 0)
                {
                    throw new ArgumentException($"Therapist {j} has a negative capacity.", nameof(capacity));
                }

                _capacity[j] = capacity[j];
            }

            _clients = new AssignmentClient[_n];
            for (var i = 0; i < _n; i++)
            {
                var c = clients[i];
                if (c.Therapists is null || c.Weights is null || c.Therapists.Length != c.Weights.Length)
                {
                    throw new ArgumentException($"Client {i} needs one weight per therapist.", nameof(clients));
                }

                for (var k = 0; k < c.Therapists.Length; k++)
                {
                    if ((uint)c.Therapists[k] >= (uint)_m || !double.IsFinite(c.Weights[k]))
                    {
                        throw new ArgumentException($"Client {i} names therapist {c.Therapists[k]} with weight {c.Weights[k]}.", nameof(clients));
                    }
                }

                _clients[i] = c;
            }

            _of = Enumerable.Repeat(-1, _n).ToArray();
            _held = new double[_n];
            _load = new int[_m + 1];
            _assigned = new List<int>[_m + 1];
            for (var j = 0; j <= _m; j++)
            {
                _assigned[j] = [];
            }

            var nodes = _sink + 1;
            _pi = new double[nodes];
            _dist = new double[nodes];
            _parent = new int[nodes];
            _done = new int[nodes];
            _seen = new int[nodes];

            // Initial potentials: every reduced cost c_ij + pi_i - pi_j >= 0 with costs -w_ij and pi_i = 0.
            foreach (var c in _clients)
            {
                for (var k = 0; k < c.Therapists.Length; k++)
                {
                    var node = _n + c.Therapists[k];
                    _pi[node] = Math.Min(_pi[node], -c.Weights[k]);
                }
            }

            _pi[_none] = 0;
            var sinkPi = 0.0;
            for (var j = _n; j <= _none; j++)
            {
                sinkPi = Math.Min(sinkPi, _pi[j]);
            }

            _pi[_sink] = sinkPi;
        }

        public CapacityAssignment Run()
        {
            var heap = new PriorityQueue<int, double>();
            var touched = new List<int>();
            for (var i = 0; i < _n; i++)
            {
                Augment(i, heap, touched);
            }

            var prices = new double[_m];
            var total = 0.0;
            for (var j = 0; j < _m; j++)
            {
                // A full therapist's price is how far its potential sits below the sink's; a therapist
                // with a place left sits level with the sink (or above when empty): price 0.
                prices[j] = _load[j] >= _capacity[j] ? Math.Max(0, _pi[_sink] - _pi[_n + j]) : 0;
            }

            var of = new int[_n];
            for (var i = 0; i < _n; i++)
            {
                of[i] = _of[i] == _m ? -1 : _of[i];
                if (of[i] >= 0)
                {
                    total += WeightOf(i, of[i]);
                }
            }

            return new CapacityAssignment(of, _load[.._m], prices, total);
        }

        private double WeightOf(int client, int therapist)
        {
            var c = _clients[client];
            return c.Weights[Array.IndexOf(c.Therapists, therapist)];
        }

        private void Augment(int start, PriorityQueue<int, double> heap, List<int> touched)
        {
            _round++;
            touched.Clear();
            heap.Clear();
            Reach(start, 0, -1, heap, touched);
            while (heap.TryDequeue(out var x, out var d))
            {
                if (_done[x] == _round || d > _dist[x])
                {
                    continue;
                }

                _done[x] = _round;
                if (x == _sink)
                {
                    break;
                }

                if (x < _n)
                {
                    // A client: forward to every option other than the one it holds.
                    var c = _clients[x];
                    var current = _of[x];
                    for (var k = 0; k < c.Therapists.Length; k++)
                    {
                        var j = c.Therapists[k];
                        if (j != current)
                        {
                            Reach(_n + j, d + (-c.Weights[k] + _pi[x] - _pi[_n + j]), x, heap, touched);
                        }
                    }

                    if (current != _m)
                    {
                        Reach(_none, d + (_pi[x] - _pi[_none]), x, heap, touched);
                    }
                }
                else
                {
                    // A therapist (or no one): to the sink when a place is left; back to each client it holds.
                    var j = x - _n;
                    if (j == _m || _load[j] < _capacity[j])
                    {
                        Reach(_sink, d + (_pi[x] - _pi[_sink]), x, heap, touched);
                    }

                    foreach (var i in _assigned[j])
                    {
                        Reach(i, d + (_held[i] + _pi[x] - _pi[i]), x, heap, touched);
                    }
                }
            }

            var dt = _dist[_sink];

            // Potentials: nodes settled before the sink move by their distance less the sink's, which
            // keeps every residual reduced cost non-negative and makes the path's zero.
            foreach (var x in touched)
            {
                if (_done[x] == _round && _dist[x] < dt)
                {
                    _pi[x] += _dist[x] - dt;
                }
            }

            // Walk the path back from the sink: each client on it takes the therapist after it. Only
            // the last therapist gains a client; the others swap one client for another.
            var node = _parent[_sink];
            _load[node - _n]++;
            while (node != -1)
            {
                var client = _parent[node];
                var previous = _of[client];
                if (previous >= 0)
                {
                    _assigned[previous].Remove(client);
                }

                _of[client] = node - _n;
                _held[client] = node - _n == _m ? 0 : WeightOf(client, node - _n);
                _assigned[node - _n].Add(client);
                node = _parent[client];
            }
        }

        private void Reach(int node, double d, int from, PriorityQueue<int, double> heap, List<int> touched)
        {
            if (_seen[node] != _round)
            {
                _seen[node] = _round;
                touched.Add(node);
            }
            else if (_done[node] == _round || d >= _dist[node])
            {
                return;
            }

            _dist[node] = d;
            _parent[node] = from;
            heap.Enqueue(node, d);
        }
    }
}
