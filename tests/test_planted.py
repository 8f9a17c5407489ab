"Failure paths and invariants of `shardbook.planted`."
import numpy as np, pytest, torch, gymnasium as gym
from shardbook.planted import PlantedBandit, policy_net, rollout, advantages, train_reinforce

torch.set_num_threads(1)

def test_bad_env_arguments():
    with pytest.raises(ValueError, match="K must be"): PlantedBandit(K=0)
    with pytest.raises(ValueError, match="overlap"): PlantedBandit(overlap=-0.1)
    with pytest.raises(ValueError, match="obs_dim"): PlantedBandit(K=4, obs_dim=3)
    env = PlantedBandit(K=2); env.reset(seed=0)
    with pytest.raises(ValueError, match="outside Discrete"): env.step(7)

def test_rewards_and_forced_context():
    env = PlantedBandit(K=3, common_reward=0.25, horizon=2)
    o, info = env.reset(seed=1, options={"context": 2})
    assert info["context"] == 2
    assert env.step(2)[1] == 1.0
    _, r, term, trunc, _ = env.step(3)
    assert r == 0.25 and term and not trunc
    env.reset(seed=1, options={"context": 0}); assert env.step(1)[1] == 0.0

def test_context_probs_respected():
    env = PlantedBandit(K=3, context_probs=[0, 0, 1])
    assert {env.reset(seed=s)[1]["context"] for s in range(10)} == {2}

def test_rollout_handles_variable_lengths_with_cartpole():
    envs = [gym.make("CartPole-v1") for _ in range(4)]
    b = rollout(envs, policy_net(4, 2), seed=0, max_steps=50)
    L = b["mask"].sum(1)
    assert b["obs"].shape[:2] == b["mask"].shape and (L >= 1).all() and (b["context"] == -1).all()
    assert (b["rew"] * (1 - b["mask"])).abs().sum() == 0  # nothing rewarded on padding
    A = advantages(b["rew"], b["mask"], gamma=0.99)
    assert (A * (1 - b["mask"])).abs().sum() == 0 and torch.isfinite(A).all()

def test_train_reinforce_callback_and_shapes():
    seen = []
    run = train_reinforce(lambda: PlantedBandit(K=2, horizon=2), policy_net(3, 3, hidden=8), iters=3, episodes=4,
                          patterns="2.*", callback=lambda u, c, it: seen.append((u.shape, it)))
    assert [s[1] for s in seen] == [0, 1, 2] and seen[0][0] == (4, 3 * 8 + 3)
    assert run.updates.shape == (12, 27) and run.step_updates.shape == (3, 27) and run.iters.tolist() == [0] * 4 + [1] * 4 + [2] * 4

def test_paired_contexts_pay_both_arms():
    with pytest.raises(ValueError, match="pair_prob"): PlantedBandit(K=1, pair_prob=0.5)
    with pytest.raises(ValueError, match="pair_prob"): PlantedBandit(K=3, pair_prob=1.5)
    env = PlantedBandit(K=4, pair_prob=1.0, horizon=3)
    for s in range(5):
        o, info = env.reset(seed=s)
        act = np.flatnonzero(info["active"])
        assert len(act) == 2 and info["context"] in act and abs(np.linalg.norm(o) - 1) < 1e-5
        assert [env.step(int(a))[1] for a in act] == [1.0, 1.0]
        assert env.step(int(next(a for a in range(4) if a not in act)))[1] == 0.0
    single = PlantedBandit(K=4)  # pair_prob=0: exactly one active context, as before
    assert all(single.reset(seed=s)[1]["active"].sum() == 1 for s in range(5))
