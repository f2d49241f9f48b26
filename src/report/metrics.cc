#include "gramlite/report/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace gramlite::report {

double roc_auc(const std::vector<float>& scores, const std::vector<bool>& positive) {
  const size_t n = scores.size();
  // NaN first: it would break std::sort's strict weak ordering (undefined behaviour) and the tie
  // loop below, which never advances past a NaN (NaN == NaN is false).
  if (positive.size() != n || std::any_of(scores.begin(), scores.end(), [](float s) { return std::isnan(s); })) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Mid-ranks: tied scores share the average of the ranks they span.
  double positive_rank_sum = 0;
  int64_t positives = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    const double mid_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (size_t k = i; k < j; ++k) {
      if (positive[order[k]]) {
        positive_rank_sum += mid_rank;
        ++positives;
      }
    }
    i = j;
  }
  const auto negatives = static_cast<int64_t>(n) - positives;
  if (positives == 0 || negatives == 0) return std::numeric_limits<double>::quiet_NaN();
  const double u = positive_rank_sum - static_cast<double>(positives) * (static_cast<double>(positives) + 1) / 2.0;
  return u / (static_cast<double>(positives) * static_cast<double>(negatives));
}

Result<ClassificationReport> evaluate_classification(const std::vector<int>& labels,
                                                     const std::vector<float>& probabilities,
                                                     const std::vector<std::string>& class_names) {
  const size_t classes = class_names.size();
  if (classes < 2) return invalid_argument("evaluation needs at least 2 classes, got ", classes);
  if (labels.empty()) return invalid_argument("evaluation needs at least one sample");
  if (probabilities.size() != labels.size() * classes) {
    return invalid_argument("evaluation got ", probabilities.size(), " scores for ", labels.size(), " samples of ",
                            classes, " classes");
  }
  ClassificationReport report;
  report.samples = static_cast<int64_t>(labels.size());
  report.confusion.assign(classes, std::vector<int64_t>(classes, 0));
  int64_t correct = 0;
  for (size_t s = 0; s < labels.size(); ++s) {
    if (labels[s] < 0 || static_cast<size_t>(labels[s]) >= classes) {
      return invalid_argument("sample ", s, " has label ", labels[s], " outside 0..", classes - 1);
    }
    const float* row = probabilities.data() + s * classes;
    for (size_t c = 0; c < classes; ++c) {
      if (std::isnan(row[c])) return invalid_argument("sample ", s, " has a NaN score for class '", class_names[c], "'");
    }
    const auto predicted = static_cast<size_t>(std::max_element(row, row + classes) - row);
    ++report.confusion[static_cast<size_t>(labels[s])][predicted];
    correct += predicted == static_cast<size_t>(labels[s]) ? 1 : 0;
  }
  report.accuracy = static_cast<double>(correct) / static_cast<double>(labels.size());
  double f1_sum = 0;
  double auc_sum = 0;
  int auc_count = 0;
  for (size_t c = 0; c < classes; ++c) {
    ClassMetrics m;
    m.name = class_names[c];
    int64_t predicted_as_c = 0;
    for (size_t t = 0; t < classes; ++t) predicted_as_c += report.confusion[t][c];
    const int64_t true_positive = report.confusion[c][c];
    m.support = std::accumulate(report.confusion[c].begin(), report.confusion[c].end(), int64_t{0});
    m.precision = predicted_as_c > 0 ? static_cast<double>(true_positive) / static_cast<double>(predicted_as_c) : 0.0;
    m.recall = m.support > 0 ? static_cast<double>(true_positive) / static_cast<double>(m.support) : 0.0;
    m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0.0;
    std::vector<float> scores(labels.size());
    std::vector<bool> positive(labels.size());
    for (size_t s = 0; s < labels.size(); ++s) {
      scores[s] = probabilities[s * classes + c];
      positive[s] = static_cast<size_t>(labels[s]) == c;
    }
    m.roc_auc = roc_auc(scores, positive);
    if (!std::isnan(m.roc_auc)) {
      auc_sum += m.roc_auc;
      ++auc_count;
    }
    f1_sum += m.f1;
    report.classes.push_back(std::move(m));
  }
  report.macro_f1 = f1_sum / static_cast<double>(classes);
  report.macro_roc_auc = auc_count > 0 ? auc_sum / auc_count : std::numeric_limits<double>::quiet_NaN();
  return report;
}

}  // namespace gramlite::report
