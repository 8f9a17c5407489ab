"Bad inputs to `shardbook.planted` (issue 14): early errors naming the argument and value."
import pytest
import torch
from shardbook.planted import PlantedBandit, advantages, policy_net, rollout, train_reinforce, unit_updates

torch.set_num_threads(1)


def test_bandit_settings():
    with pytest.raises(ValueError, match="context_probs must be K=3 probabilities"):
        PlantedBandit(K=3, context_probs=[0.5, 0.5])
    with pytest.raises(ValueError, match=r"summing to 1, got \[0.7, 0.7\]"):
        PlantedBandit(K=2, context_probs=[0.7, 0.7])
    with pytest.raises(ValueError, match="probabilities >= 0"):
        PlantedBandit(K=2, context_probs=[1.5, -0.5])
    with pytest.raises(ValueError, match="common_reward must be a finite number >= 0, got nan"):
        PlantedBandit(K=2, common_reward=float("nan"))
    with pytest.raises(TypeError, match="K must be a positive int"):
        PlantedBandit(K=2.5)
    with pytest.raises(ValueError, match=r"options\['context'\] must be in 0..2, got 7"):
        PlantedBandit(K=3).reset(seed=0, options={"context": 7})


def test_policy_and_rollout_sizes():
    with pytest.raises(ValueError, match="hidden must be a positive int, got 0"):
        policy_net(3, 2, hidden=0)
    with pytest.raises(ValueError, match="n_actions must be a positive int, got 0"):
        policy_net(3, 0)
    with pytest.raises(ValueError, match="depth must be an int >= 0, got -1"):
        policy_net(3, 2, depth=-1)
    with pytest.raises(ValueError, match="envs is empty"):
        rollout([], policy_net(5, 5), 0)
    with pytest.raises(ValueError, match="max_steps must be a positive int, got 0"):
        rollout([PlantedBandit()], policy_net(5, 5), 0, max_steps=0)
    with pytest.raises(ValueError, match=r"got \(2, 3\) and \(2, 4\)"):
        advantages(torch.ones(2, 3), torch.ones(2, 4))


def test_reinforce_refuses_degenerate_runs():
    env = PlantedBandit
    with pytest.raises(ValueError, match="episodes must be an int >= 2, got 1: the batch-mean baseline"):
        train_reinforce(env, policy_net(5, 5), iters=2, episodes=1)
    with pytest.raises(ValueError, match="iters must be a positive int, got 0"):
        train_reinforce(env, policy_net(5, 5), iters=0, episodes=2)
    with pytest.raises(ValueError, match="lr must be a positive finite number, got 0"):
        train_reinforce(env, policy_net(5, 5), iters=1, episodes=2, lr=0)


def test_unit_updates_of_an_all_zero_batch():
    X, y = unit_updates(torch.zeros(3, 4), torch.arange(3))   # an all-zero batch (zero advantages) yields no rows
    assert X.shape == (0, 4) and len(y) == 0
    with pytest.raises(ValueError, match="labels has 2 entries for 3 updates"):
        unit_updates(torch.randn(3, 4), torch.arange(2))
