"""Statistics of run times shared by the PyTorch peers (bench/torch_peer.py, bench/peers/torch_peer.py)."""


def percentile(values, p):
    """The p-th percentile of values, interpolating linearly between ranks (numpy's default)."""
    values = sorted(values)
    rank = (len(values) - 1) * p / 100.0
    low = int(rank)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (rank - low)
