// The fit behind `dirtyscope report --fit`: exact data gives back its
// coefficients, noise gives error bars that cover the truth, and terms the
// data cannot separate are dropped with the reason instead of producing
// nonsense.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "least_squares.hpp"

using namespace dirtyscope::tools;

namespace {
std::vector<double> ones(size_t n) { return std::vector<double>(n, 1.0); }
}  // namespace

TEST(LeastSquares, RecoversExactCoefficientsAcrossMagnitudes) {
  // Page counts in the millions next to a constant in the thousands.
  std::vector<double> mem{65536, 262144, 1048576, 4194304, 1048576, 1048576};
  std::vector<double> dirty{65536, 262144, 1048576, 4194304, 131072, 2048};
  std::vector<double> y;
  for (size_t i = 0; i < mem.size(); ++i) y.push_back(2500 + 0.4 * mem[i] + 6.0 * dirty[i]);
  const LinearFit f = fit_least_squares({{"memory pages", mem}, {"dirty pages", dirty}}, y, ones(y.size()));
  ASSERT_EQ(f.terms.size(), 3u);
  EXPECT_NEAR(f.terms[0].estimate, 2500, 1e-6);
  EXPECT_NEAR(f.terms[1].estimate, 0.4, 1e-9);
  EXPECT_NEAR(f.terms[2].estimate, 6.0, 1e-9);
  EXPECT_EQ(f.dof, 3u);
  EXPECT_NEAR(f.r_squared, 1.0, 1e-12);
  EXPECT_LT(f.rms_relative, 1e-9);
  for (const auto& t : f.terms) EXPECT_TRUE(t.dropped.empty()) << t.name;
}

TEST(LeastSquares, ErrorBarsCoverTheTruthUnderNoise) {
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0.0, 0.05);  // 5 % relative
  std::vector<double> x, y;
  for (int rep = 0; rep < 20; ++rep)
    for (double pages : {1e4, 1e5, 1e6, 4e6}) {
      x.push_back(pages);
      y.push_back((1000 + 3.0 * pages) * (1 + noise(rng)));
    }
  std::vector<double> w;
  for (double v : y) w.push_back(1.0 / (v * v));
  const LinearFit f = fit_least_squares({{"dirty pages", x}}, y, w);
  const FitTerm& slope = f.terms[1];
  EXPECT_GT(slope.std_error, 0);
  EXPECT_LT(slope.std_error, 0.1);  // 80 rows pin 3 ns/page well
  EXPECT_NEAR(slope.estimate, 3.0, 4 * slope.std_error);
  EXPECT_NEAR(f.rms_relative, 0.05, 0.02);
}

TEST(LeastSquares, ConstantColumnIsNotVaried) {
  std::vector<double> vcpus(4, 0.0), dirty{1, 2, 3, 4}, y{11, 12, 13, 14};
  const LinearFit f = fit_least_squares({{"extra vCPUs", vcpus}, {"dirty pages", dirty}}, y, ones(4));
  EXPECT_EQ(f.terms[1].dropped, "not varied");
  EXPECT_TRUE(f.terms[2].dropped.empty());
  EXPECT_NEAR(f.terms[2].estimate, 1.0, 1e-12);
  EXPECT_NEAR(f.terms[0].estimate, 10.0, 1e-12);
  EXPECT_EQ(f.dof, 2u);
}

TEST(LeastSquares, ProportionalColumnsAreConfoundedNotSingular) {
  // Every page dirty in every run: memory and dirty pages move together.
  std::vector<double> mem{100, 200, 400}, dirty{100, 200, 400}, y{5, 7, 11};
  const LinearFit f = fit_least_squares({{"memory pages", mem}, {"dirty pages", dirty}}, y, ones(3));
  EXPECT_TRUE(f.terms[1].dropped.empty());
  EXPECT_EQ(f.terms[2].dropped, "confounded with memory pages");
  EXPECT_NEAR(f.terms[1].estimate, 0.02, 1e-12);
  EXPECT_TRUE(std::isfinite(f.terms[1].std_error));
}

TEST(LeastSquares, WeightsDecideWhichPointsCount) {
  // Two lines' worth of points; a zero weight takes the outlier out.
  std::vector<double> x{1, 2, 3, 4}, y{2, 4, 6, 100};
  const LinearFit all = fit_least_squares({{"x", x}}, y, ones(4));
  const LinearFit clean = fit_least_squares({{"x", x}}, y, {1, 1, 1, 0});
  EXPECT_GT(all.terms[1].estimate, 10);
  EXPECT_NEAR(clean.terms[1].estimate, 2.0, 1e-12);
  EXPECT_NEAR(clean.terms[0].estimate, 0.0, 1e-12);
}

TEST(LeastSquares, NoSpareRowsMeansNoErrorEstimate) {
  const LinearFit f = fit_least_squares({{"x", {1, 2}}}, {3, 5}, ones(2));
  EXPECT_EQ(f.dof, 0u);
  EXPECT_NEAR(f.terms[1].estimate, 2.0, 1e-12);
  EXPECT_EQ(f.terms[1].std_error, 0.0);
}

TEST(LeastSquares, RejectsMalformedInput) {
  EXPECT_THROW(fit_least_squares({}, {}, {}), std::invalid_argument);
  EXPECT_THROW(fit_least_squares({{"x", {1, 2}}}, {1, 2, 3}, ones(3)), std::invalid_argument);
  EXPECT_THROW(fit_least_squares({}, {1, 2}, {1}), std::invalid_argument);
  EXPECT_THROW(fit_least_squares({}, {1, 2}, {1, -1}), std::invalid_argument);
}
