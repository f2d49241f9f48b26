// Classification metrics as the study and the later reports quote them: accuracy, per-class
// precision / recall / F1, macro F1, one-vs-rest ROC AUC and the confusion matrix.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gramlite/base/status.h"

namespace gramlite::report {

struct ClassMetrics {
  std::string name;
  int64_t support = 0;   // samples whose true label is this class
  double precision = 0;  // 0 when the class was never predicted
  double recall = 0;
  double f1 = 0;
  double roc_auc = 0;    // one-vs-rest; NaN when the class has no positive or no negative sample
};

struct ClassificationReport {
  int64_t samples = 0;
  double accuracy = 0;
  double macro_f1 = 0;
  double macro_roc_auc = 0;  // mean over the classes whose AUC is defined (NaN if none)
  std::vector<ClassMetrics> classes;
  std::vector<std::vector<int64_t>> confusion;  // [true][predicted]
};

// `probabilities` holds samples x classes scores (rows need not sum to 1; only their order
// matters for AUC); the prediction is the arg-max of each row. Ties in AUC count one half.
// A NaN score is an error naming its sample and class (it has no order, so neither arg-max nor
// AUC would mean anything); infinities are ordered like any other score.
Result<ClassificationReport> evaluate_classification(const std::vector<int>& labels,
                                                     const std::vector<float>& probabilities,
                                                     const std::vector<std::string>& class_names);

// ROC AUC of scores for a binary labelling (Mann-Whitney U with mid-ranks for ties); NaN when one
// side is empty or any score is NaN (a NaN has no rank). `scores` and `positive` have one entry per
// sample; a size mismatch is a programmer error and also gives NaN.
double roc_auc(const std::vector<float>& scores, const std::vector<bool>& positive);

}  // namespace gramlite::report
