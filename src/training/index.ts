export { makeDataset, shuffledIndices, trainTestSplit, kFold, type TrainingRecord, type DatasetOptions } from './dataset.js';
export { computeMetrics, evaluatePotential, type MetricsRecord, type MetricSample } from './metrics.js';
export { fitLinear, designWants, frameDesign, linearFitWants, type DesignWant, type LinearFitOptions, type LinearFitReport, type LinearFitResult, type LambdaPoint, type LossWeights, type OffsetMode } from './linear-fit.js';
export { paritySVG, histogramSVG, niceTicks, thinIndices, escapeXml, type ParitySeries, type ParityPlotOptions, type HistogramSeries, type HistogramOptions } from './plots.js';
export { svgProblems } from './svg-check.js';
export { fitCommittee, fitLinearCommittee, resampleIndices, type CommitteeFitOptions, type CommitteeFitResult, type ResampleMode } from './committee-fit.js';
export { calibration, calibrationCurve, calibrationSVG, spearman, ranks, type CalibrationRecord } from './calibration.js';
export { fitGP, GPTrainer, gpCalibration, selectSparse, type GPFitOptions, type GPFitReport, type GPFitResult, type GPHyper, type SparseMethod } from './gp-fit.js';
export { fitNN, NNLoss, type NNFitOptions, type NNFitReport, type NNFitResult, type LearningRateSchedule } from './nn-fit.js';
