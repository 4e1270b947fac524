#include "least_squares.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "dirtyscope/text_list.hpp"

namespace dirtyscope::tools {

namespace {

using Vector = std::vector<double>;

double dot(const Vector& a, const Vector& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

bool all_equal(const Vector& v) {
  return std::all_of(v.begin(), v.end(), [&](double x) { return x == v.front(); });
}

// Below this share of its own length a column left after removing the
// earlier ones is rounding, not information.
constexpr double kDependent = 1e-9;

}  // namespace

LinearFit fit_least_squares(const std::vector<FitColumn>& columns, const Vector& y, const Vector& weights) {
  const size_t n = y.size();
  if (n == 0) throw std::invalid_argument("least squares: no rows");
  if (weights.size() != n) throw std::invalid_argument("least squares: weights and rows differ in number");
  for (const auto& c : columns)
    if (c.values.size() != n) throw std::invalid_argument("least squares: column " + c.name + " has the wrong length");
  for (double w : weights)
    if (!(w >= 0)) throw std::invalid_argument("least squares: negative or NaN weight");

  // Rows scaled by sqrt(w): ordinary least squares on them is the weighted
  // fit. Columns are then scaled to unit length, so counts of millions of
  // pages and the constant 1 are orthogonalised with equal precision
  // (modified Gram-Schmidt, i.e. a QR decomposition built column by column).
  Vector root_w(n);
  for (size_t i = 0; i < n; ++i) root_w[i] = std::sqrt(weights[i]);

  LinearFit fit;
  fit.rows = n;
  std::vector<Vector> q;      // orthonormal basis of the kept columns
  std::vector<Vector> r;      // r[k][j]: column j's component along q[k] (kept j only)
  std::vector<size_t> kept;   // term index of each q
  std::vector<double> scale;  // length of each kept column before normalising

  auto add_term = [&](const std::string& name, const Vector& raw, bool is_constant) {
    FitTerm term;
    term.name = name;
    Vector a(n);
    for (size_t i = 0; i < n; ++i) a[i] = root_w[i] * raw[i];
    const double length = std::sqrt(dot(a, a));
    if (!is_constant && all_equal(raw)) term.dropped = "not varied";
    else if (length == 0) term.dropped = "no weight";
    if (!term.dropped.empty()) {
      fit.terms.push_back(term);
      return;
    }
    for (double& x : a) x /= length;
    Vector along(q.size());
    for (size_t k = 0; k < q.size(); ++k) {
      along[k] = dot(q[k], a);
      for (size_t i = 0; i < n; ++i) a[i] -= along[k] * q[k][i];
    }
    const double left = std::sqrt(dot(a, a));
    if (left < kDependent) {
      std::string with;
      for (size_t k = 0; k < q.size(); ++k)
        if (std::fabs(along[k]) > 1e-6 && fit.terms[kept[k]].name != "constant")
          append_item(with, ", ", fit.terms[kept[k]].name);
      term.dropped = with.empty() ? "not varied" : "confounded with " + with;
      fit.terms.push_back(term);
      return;
    }
    for (double& x : a) x /= left;
    for (size_t k = 0; k < q.size(); ++k) r[k].push_back(along[k]);
    r.push_back(Vector(q.size(), 0.0));
    r.back().push_back(left);
    q.push_back(a);
    kept.push_back(fit.terms.size());
    scale.push_back(length);
    fit.terms.push_back(term);
  };

  add_term("constant", Vector(n, 1.0), true);
  for (const auto& c : columns) add_term(c.name, c.values, false);

  // y's coordinates in the basis; what is left over is the residual.
  const size_t p = q.size();
  Vector b(n);
  for (size_t i = 0; i < n; ++i) b[i] = root_w[i] * y[i];
  Vector coord(p);
  for (size_t k = 0; k < p; ++k) {
    coord[k] = dot(q[k], b);
    for (size_t i = 0; i < n; ++i) b[i] -= coord[k] * q[k][i];
  }
  const double rss = dot(b, b);

  // R is upper triangular (p x p, r[k][j] with j >= k meaningful): solve
  // R beta = coord, and invert R for the covariance (R^T R)^-1 = R^-1 R^-T.
  Vector beta(p);
  for (size_t k = p; k-- > 0;) {
    double s = coord[k];
    for (size_t j = k + 1; j < p; ++j) s -= r[k][j] * beta[j];
    beta[k] = s / r[k][k];
  }
  std::vector<Vector> inv(p, Vector(p, 0.0));
  for (size_t col = 0; col < p; ++col)
    for (size_t k = col + 1; k-- > 0;) {
      double s = k == col ? 1.0 : 0.0;
      for (size_t j = k + 1; j <= col; ++j) s -= r[k][j] * inv[j][col];
      inv[k][col] = s / r[k][k];
    }
  fit.dof = n - p;
  const double sigma2 = fit.dof > 0 ? rss / static_cast<double>(fit.dof) : 0.0;
  for (size_t k = 0; k < p; ++k) {
    double var = 0;
    for (size_t j = k; j < p; ++j) var += inv[k][j] * inv[k][j];
    FitTerm& t = fit.terms[kept[k]];
    t.estimate = beta[k] / scale[k];
    t.std_error = std::sqrt(sigma2 * var) / scale[k];
  }

  // Quality: weighted R^2 about the weighted mean, and the typical
  // relative miss of the fitted line.
  double wsum = 0, wy = 0;
  for (size_t i = 0; i < n; ++i) wsum += weights[i], wy += weights[i] * y[i];
  const double mean = wsum > 0 ? wy / wsum : 0;
  double tss = 0, rel = 0;
  size_t rel_rows = 0;
  for (size_t i = 0; i < n; ++i) {
    tss += weights[i] * (y[i] - mean) * (y[i] - mean);
    double fitted = fit.terms[0].estimate;  // the constant (0 when dropped)
    for (size_t j = 0; j < columns.size(); ++j)
      if (fit.terms[j + 1].dropped.empty()) fitted += fit.terms[j + 1].estimate * columns[j].values[i];
    if (y[i] != 0) rel += ((y[i] - fitted) / y[i]) * ((y[i] - fitted) / y[i]), ++rel_rows;
  }
  fit.r_squared = tss > 0 ? 1.0 - rss / tss : 1.0;
  fit.rms_relative = rel_rows ? std::sqrt(rel / static_cast<double>(rel_rows)) : 0.0;
  return fit;
}

}  // namespace dirtyscope::tools
