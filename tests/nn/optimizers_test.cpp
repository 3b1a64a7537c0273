// SPDX-License-Identifier: MIT
// tests/nn/optimizers_test.cpp: SGD (plain, momentum, dampening, Nesterov, weight decay), Adam, AdamW,
// RMSprop (plain, centered, momentum) and Adagrad (lr_decay, initial accumulator) against reference
// recurrences written here in double from PyTorch's documented algorithms, independently of the headers.
// Each runs 5 steps of the quadratic problem (gradient c + a*p, so it changes as p moves), with float
// and double parameters.
#include <catch2/catch.hpp>
#include <graft/graft.hpp>

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "nn/quadratic_problem.hpp"

using namespace graft;
using graft_test::QuadraticData;
using graft_test::QuadraticProblem;

namespace {

constexpr std::size_t n = QuadraticData::n;
constexpr int steps = 5;

// ------------------------------------------------------------ reference recurrences (double)
struct SgdRef {
    double lr, mu, damp, wd;
    bool nesterov;
    std::vector<double> buf = std::vector<double>(n, 0.0);
    int t = 0;
    void step(std::vector<double>& p) {
        ++t;
        for (std::size_t i = 0; i < n; ++i) {
            double g = QuadraticData::grad(i, p[i]) + wd * p[i];
            if (mu != 0) {
                buf[i] = t == 1 ? g : mu * buf[i] + (1 - damp) * g;
                g = nesterov ? g + mu * buf[i] : buf[i];
            }
            p[i] -= lr * g;
        }
    }
};

struct AdamRef {
    double lr, b1, b2, eps, wd;
    bool decoupled;
    std::vector<double> m = std::vector<double>(n, 0.0), v = std::vector<double>(n, 0.0);
    int t = 0;
    void step(std::vector<double>& p) {
        ++t;
        for (std::size_t i = 0; i < n; ++i) {
            double g = QuadraticData::grad(i, p[i]);
            if (decoupled) p[i] = p[i] * (1 - lr * wd);
            else g += wd * p[i];
            m[i] = b1 * m[i] + (1 - b1) * g;
            v[i] = b2 * v[i] + (1 - b2) * g * g;
            const double mhat = m[i] / (1 - std::pow(b1, t));
            const double vhat = v[i] / (1 - std::pow(b2, t));
            p[i] -= lr * mhat / (std::sqrt(vhat) + eps);
        }
    }
};

struct RmspropRef {
    double lr, alpha, eps, wd, mu;
    bool centered;
    std::vector<double> sq = std::vector<double>(n, 0.0), avg_g = std::vector<double>(n, 0.0), buf = std::vector<double>(n, 0.0);
    void step(std::vector<double>& p) {
        for (std::size_t i = 0; i < n; ++i) {
            const double g = QuadraticData::grad(i, p[i]) + wd * p[i];
            sq[i] = alpha * sq[i] + (1 - alpha) * g * g;
            double denom = 0;
            if (centered) {
                avg_g[i] = alpha * avg_g[i] + (1 - alpha) * g;
                denom = std::sqrt(sq[i] - avg_g[i] * avg_g[i]) + eps;
            } else {
                denom = std::sqrt(sq[i]) + eps;
            }
            if (mu > 0) {
                buf[i] = mu * buf[i] + g / denom;
                p[i] -= lr * buf[i];
            } else {
                p[i] -= lr * g / denom;
            }
        }
    }
};

struct AdagradRef {
    double lr, lr_decay, wd, eps;
    std::vector<double> sum;
    int t = 0;
    AdagradRef(double lr_, double decay, double wd_, double init, double eps_) : lr(lr_), lr_decay(decay), wd(wd_), eps(eps_), sum(n, init) {}
    void step(std::vector<double>& p) {
        ++t;
        const double clr = lr / (1 + (t - 1) * lr_decay);
        for (std::size_t i = 0; i < n; ++i) {
            const double g = QuadraticData::grad(i, p[i]) + wd * p[i];
            sum[i] += g * g;
            p[i] -= clr * g / (std::sqrt(sum[i]) + eps);
        }
    }
};

template <class T>
double tolerance() {
    return std::is_same_v<T, float> ? 2e-5 : 1e-12;
}

/// Runs `steps` steps of optimizer Opt on the problem and of `ref` on a double copy; compares after each.
template <class T, class Opt, class Options, class Ref>
void check_steps(Options o, Ref ref) {
    QuadraticProblem<T> q;
    Opt opt(*q.m, q.grads, o);
    std::vector<double> p(QuadraticData::p0.begin(), QuadraticData::p0.end());
    for (int s = 0; s < steps; ++s) {
        q.m->run();
        // the gradients graft computed are the closed form at the current parameters
        const auto g = q.gradients();
        const auto cur = q.params();
        for (std::size_t i = 0; i < n; ++i) REQUIRE(g[i] == Approx(QuadraticData::grad(i, cur[i])).margin(1e-6));
        opt.step();
        ref.step(p);
        const auto got = q.params();
        INFO("step " << s + 1);
        for (std::size_t i = 0; i < n; ++i) {
            INFO("element " << i);
            CHECK(got[i] == Approx(p[i]).epsilon(tolerance<T>()).margin(tolerance<T>()));
        }
    }
    CHECK(opt.steps() == std::size_t(steps));
    // the problem actually moved: a test that cannot fail is worse than none
    CHECK(std::fabs(p[0] - QuadraticData::p0[0]) > 1e-3);
}

}  // namespace

TEMPLATE_TEST_CASE("plain SGD steps p -= lr * g", "[nn][optim][sgd]", float, double) {
    check_steps<TestType, nn::SGD>(nn::SGDOptions{.lr = 0.1}, SgdRef{0.1, 0, 0, 0, false});
}

TEMPLATE_TEST_CASE("SGD with momentum keeps a velocity seeded with the first gradient", "[nn][optim][sgd]", float, double) {
    check_steps<TestType, nn::SGD>(nn::SGDOptions{.lr = 0.1, .momentum = 0.9}, SgdRef{0.1, 0.9, 0, 0, false});
}

TEMPLATE_TEST_CASE("SGD with momentum and dampening scales new gradients by 1 - dampening after the first step", "[nn][optim][sgd]", float,
                   double) {
    check_steps<TestType, nn::SGD>(nn::SGDOptions{.lr = 0.1, .momentum = 0.8, .dampening = 0.3}, SgdRef{0.1, 0.8, 0.3, 0, false});
}

TEMPLATE_TEST_CASE("SGD with Nesterov momentum steps along g + momentum * velocity", "[nn][optim][sgd]", float, double) {
    check_steps<TestType, nn::SGD>(nn::SGDOptions{.lr = 0.05, .momentum = 0.9, .nesterov = true}, SgdRef{0.05, 0.9, 0, 0, true});
}

TEMPLATE_TEST_CASE("SGD weight decay adds wd * p to the gradient", "[nn][optim][sgd]", float, double) {
    check_steps<TestType, nn::SGD>(nn::SGDOptions{.lr = 0.1, .weight_decay = 0.2}, SgdRef{0.1, 0, 0, 0.2, false});
    check_steps<TestType, nn::SGD>(nn::SGDOptions{.lr = 0.1, .momentum = 0.5, .weight_decay = 0.2, .nesterov = true},
                                   SgdRef{0.1, 0.5, 0, 0.2, true});
}

TEMPLATE_TEST_CASE("Adam follows the bias-corrected moment recurrences", "[nn][optim][adam]", float, double) {
    check_steps<TestType, nn::Adam>(nn::AdamOptions{.lr = 0.05}, AdamRef{0.05, 0.9, 0.999, 1e-8, 0, false});
    check_steps<TestType, nn::Adam>(nn::AdamOptions{.lr = 0.01, .beta1 = 0.5, .beta2 = 0.75, .eps = 1e-3},
                                    AdamRef{0.01, 0.5, 0.75, 1e-3, 0, false});
}

TEMPLATE_TEST_CASE("Adam's weight decay is L2: it is added to the gradient before the moments", "[nn][optim][adam]", float, double) {
    check_steps<TestType, nn::Adam>(nn::AdamOptions{.lr = 0.05, .weight_decay = 0.1}, AdamRef{0.05, 0.9, 0.999, 1e-8, 0.1, false});
}

TEMPLATE_TEST_CASE("AdamW decays the parameters directly by lr * weight_decay", "[nn][optim][adam]", float, double) {
    check_steps<TestType, nn::AdamW>(nn::AdamOptions{.lr = 0.05, .weight_decay = 0.1}, AdamRef{0.05, 0.9, 0.999, 1e-8, 0.1, true});
    // the default options are PyTorch's: lr 1e-3, weight_decay 1e-2
    check_steps<TestType, nn::AdamW>(nn::AdamOptions{.lr = 1e-3, .weight_decay = 1e-2}, AdamRef{1e-3, 0.9, 0.999, 1e-8, 1e-2, true});
}

TEST_CASE("AdamW's default options are lr 1e-3 and weight_decay 1e-2", "[nn][optim][adam]") {
    QuadraticProblem<double> q;
    nn::AdamW opt(*q.m, q.grads);
    CHECK(opt.lr == 1e-3);
    AdamRef ref{1e-3, 0.9, 0.999, 1e-8, 1e-2, true};
    std::vector<double> p(QuadraticData::p0.begin(), QuadraticData::p0.end());
    q.m->run();
    opt.step();
    ref.step(p);
    const auto got = q.params();
    for (std::size_t i = 0; i < n; ++i) CHECK(got[i] == Approx(p[i]).epsilon(1e-12).margin(1e-12));
}

TEMPLATE_TEST_CASE("RMSprop divides by the root of a running mean square", "[nn][optim][rmsprop]", float, double) {
    check_steps<TestType, nn::RMSprop>(nn::RMSpropOptions{.lr = 0.01}, RmspropRef{0.01, 0.99, 1e-8, 0, 0, false});
    check_steps<TestType, nn::RMSprop>(nn::RMSpropOptions{.lr = 0.02, .alpha = 0.9, .eps = 1e-4, .weight_decay = 0.1},
                                       RmspropRef{0.02, 0.9, 1e-4, 0.1, 0, false});
}

TEMPLATE_TEST_CASE("centered RMSprop subtracts the squared running mean of the gradient", "[nn][optim][rmsprop]", float, double) {
    check_steps<TestType, nn::RMSprop>(nn::RMSpropOptions{.lr = 0.01, .alpha = 0.9, .eps = 1e-6, .centered = true},
                                       RmspropRef{0.01, 0.9, 1e-6, 0, 0, true});
}

TEMPLATE_TEST_CASE("RMSprop with momentum accumulates the scaled gradient in a buffer", "[nn][optim][rmsprop]", float, double) {
    check_steps<TestType, nn::RMSprop>(nn::RMSpropOptions{.lr = 0.01, .alpha = 0.9, .momentum = 0.9}, RmspropRef{0.01, 0.9, 1e-8, 0, 0.9, false});
    check_steps<TestType, nn::RMSprop>(nn::RMSpropOptions{.lr = 0.01, .alpha = 0.9, .eps = 1e-6, .weight_decay = 0.05, .momentum = 0.5, .centered = true},
                                       RmspropRef{0.01, 0.9, 1e-6, 0.05, 0.5, true});
}

TEMPLATE_TEST_CASE("Adagrad divides by the root of the summed squared gradients", "[nn][optim][adagrad]", float, double) {
    check_steps<TestType, nn::Adagrad>(nn::AdagradOptions{.lr = 0.1}, AdagradRef(0.1, 0, 0, 0, 1e-10));
}

TEMPLATE_TEST_CASE("Adagrad's lr_decay shrinks the step as lr / (1 + (t - 1) * lr_decay)", "[nn][optim][adagrad]", float, double) {
    check_steps<TestType, nn::Adagrad>(nn::AdagradOptions{.lr = 0.1, .lr_decay = 0.5}, AdagradRef(0.1, 0.5, 0, 0, 1e-10));
}

TEMPLATE_TEST_CASE("Adagrad starts its accumulator at initial_accumulator_value and applies weight decay", "[nn][optim][adagrad]", float,
                   double) {
    check_steps<TestType, nn::Adagrad>(nn::AdagradOptions{.lr = 0.1, .weight_decay = 0.1, .initial_accumulator_value = 0.5, .eps = 1e-6},
                                       AdagradRef(0.1, 0, 0.1, 0.5, 1e-6));
}

TEST_CASE("a zero learning rate leaves the parameters unchanged", "[nn][optim]") {
    QuadraticProblem<double> q;
    nn::SGD opt(*q.m, q.grads, {.lr = 0.0, .momentum = 0.9});
    for (int s = 0; s < 3; ++s) {
        q.m->run();
        opt.step();
    }
    const auto got = q.params();
    for (std::size_t i = 0; i < n; ++i) CHECK(got[i] == QuadraticData::p0[i]);
}

TEST_CASE("changing lr between steps takes effect at the next step", "[nn][optim]") {
    QuadraticProblem<double> q;
    nn::SGD opt(*q.m, q.grads, {.lr = 0.1});
    SgdRef ref{0.1, 0, 0, 0, false};
    std::vector<double> p(QuadraticData::p0.begin(), QuadraticData::p0.end());
    q.m->run();
    opt.step();
    ref.step(p);
    opt.lr = 0.01;
    ref.lr = 0.01;
    q.m->run();
    opt.step();
    ref.step(p);
    const auto got = q.params();
    for (std::size_t i = 0; i < n; ++i) CHECK(got[i] == Approx(p[i]).epsilon(1e-12).margin(1e-12));
}
