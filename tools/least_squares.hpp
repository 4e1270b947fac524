// Weighted linear least squares with standard errors, for `dirtyscope
// report --fit`: few columns (a handful of cost terms), few hundred rows.
#pragma once

#include <string>
#include <vector>

namespace dirtyscope::tools {

struct FitColumn {
  std::string name;
  std::vector<double> values;  // one per row
};

struct FitTerm {
  std::string name;
  // Why the term has no estimate: "not varied" (the same value in every
  // row, indistinguishable from the constant) or "confounded with NAME"
  // (a linear combination of earlier terms). Empty when estimated.
  std::string dropped;
  double estimate = 0;
  double std_error = 0;  // from the weighted residuals; 0 without spare rows
};

struct LinearFit {
  std::vector<FitTerm> terms;  // the constant first, then the columns in order
  size_t rows = 0;
  size_t dof = 0;              // rows minus estimated terms
  double r_squared = 0;        // weighted, about the weighted mean
  double rms_relative = 0;     // root mean square of (y - fit) / y
};

// Fits y = c0 + sum_j c_j * x_j minimising sum_i w_i (y_i - fit_i)^2.
// Columns are tried in order; one that adds nothing to those before it is
// dropped, with the reason, rather than making the system singular.
// Throws std::invalid_argument when lengths differ, a weight is negative
// or there are no rows.
LinearFit fit_least_squares(const std::vector<FitColumn>& columns, const std::vector<double>& y,
                            const std::vector<double>& weights);

}  // namespace dirtyscope::tools
