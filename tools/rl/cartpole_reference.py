#!/usr/bin/env python3
"""Reference CartPole trajectories for packages/rl's dynamics test.

Written from the published equations alone (Barto, Sutton & Anderson 1983, with the corrected
pole dynamics of R. V. Florian, "Correct equations for the dynamics of the cart-pole system",
2007, friction terms dropped), with the constants of gym's CartPole-v0/v1 and one explicit Euler
step per 0.02 s:

    F      = +10 N for action 1, -10 N for action 0
    temp   = (F + m_p * l * w^2 * sin(th)) / (m_c + m_p)
    alpha  = (g * sin(th) - cos(th) * temp) / (l * (4/3 - m_p * cos(th)^2 / (m_c + m_p)))
    a      = temp - m_p * l * alpha * cos(th) / (m_c + m_p)
    x' = x + tau * v,  v' = v + tau * a,  th' = th + tau * w,  w' = w + tau * alpha

with g = 9.8, m_c = 1.0, m_p = 0.1, l = 0.5 (half the pole's length), tau = 0.02. An episode
terminates when |x| > 2.4 or |th| > 12 degrees. Plain Python floats (IEEE double), no NumPy.

    /usr/bin/python3 tools/rl/cartpole_reference.py   # rewrites packages/rl/test/fixtures/cartpole_trajectories.json
"""
import json
import math
import os
import random

G, M_CART, M_POLE, HALF_LEN, FORCE, TAU = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
X_LIMIT, TH_LIMIT = 2.4, 12 * 2 * math.pi / 360


def step(state, action):
    x, v, th, w = state
    f = FORCE if action == 1 else -FORCE
    total = M_CART + M_POLE
    s, c = math.sin(th), math.cos(th)
    temp = (f + M_POLE * HALF_LEN * w * w * s) / total
    alpha = (G * s - c * temp) / (HALF_LEN * (4.0 / 3.0 - M_POLE * c * c / total))
    a = temp - M_POLE * HALF_LEN * alpha * c / total
    return [x + TAU * v, v + TAU * a, th + TAU * w, w + TAU * alpha]


def terminated(state):
    x, _, th, _ = state
    return x < -X_LIMIT or x > X_LIMIT or th < -TH_LIMIT or th > TH_LIMIT


def rollout(name, initial, actions):
    """Steps until the actions run out or the episode terminates."""
    states, done, state = [], [], list(initial)
    for a in actions:
        state = step(state, a)
        states.append(state)
        done.append(terminated(state))
        if done[-1]:
            break
    return {"name": name, "initial": list(initial), "actions": actions[: len(states)], "states": states, "terminated": done}


def balance(initial, steps):
    """A simple state-feedback controller that keeps the pole up: the actions of a long episode."""
    state, actions = list(initial), []
    for _ in range(steps):
        a = 1 if state[2] + 0.5 * state[3] + 0.01 * state[0] + 0.05 * state[1] > 0 else 0
        actions.append(a)
        state = step(state, a)
    return actions


def main():
    rng = random.Random(20201219)
    cases = [
        rollout("push right until the pole falls", [0.0, 0.0, 0.0, 0.0], [1] * 100),
        rollout("push left until the pole falls", [0.01, -0.02, 0.03, -0.04], [0] * 100),
        rollout("alternate", [0.02, 0.01, -0.03, 0.02], [i % 2 for i in range(60)]),
        rollout("cart leaves the track", [2.35, 1.5, 0.0, 0.0], [1] * 20),
        rollout("cart leaves the track on the left", [-2.38, -0.5, 0.01, 0.0], [0, 1] * 10),
    ]
    cases.append(rollout("balanced for 200 steps", [0.03, -0.02, 0.04, 0.01], balance([0.03, -0.02, 0.04, 0.01], 200)))
    for k in range(5):
        init = [rng.uniform(-0.05, 0.05) for _ in range(4)]
        cases.append(rollout(f"random actions {k}", init, [rng.randrange(2) for _ in range(200)]))
    out = os.path.join(os.path.dirname(__file__), "..", "..", "packages", "rl", "test", "fixtures", "cartpole_trajectories.json")
    with open(out, "w") as f:
        json.dump({"generator": "tools/rl/cartpole_reference.py", "cases": cases}, f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} trajectories ({sum(len(c['states']) for c in cases)} steps) to {os.path.normpath(out)}")


if __name__ == "__main__":
    main()
