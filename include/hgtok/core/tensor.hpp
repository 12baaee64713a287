// Tensor aliases. Compute happens on row-major Eigen matrices (rows = nodes)
// mapped over contiguous buffers; public N-d outputs use xtensor.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hgtok {

using Index = std::int64_t;

/// Row-major dynamic matrix: one row per node (or token).
template <class T>
using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
/// Dynamic column vector.
template <class T>
using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;
/// Dynamic row vector.
template <class T>
using RowVector = Eigen::Matrix<T, 1, Eigen::Dynamic>;

/// Non-owning views over contiguous row-major buffers.
template <class T>
using MatrixMap = Eigen::Map<Matrix<T>>;
template <class T>
using ConstMatrixMap = Eigen::Map<const Matrix<T>>;
template <class T>
using VectorMap = Eigen::Map<Vector<T>>;
template <class T>
using ConstVectorMap = Eigen::Map<const Vector<T>>;

using Shape = std::vector<std::int64_t>;

/// One feature matrix per node type, keyed by type name (PyG's x_dict).
/// Kernels take and return this; a node type that receives no message is absent from a kernel's output.
template <class T>
using TypeMatrices = std::map<std::string, Matrix<T>>;

}  // namespace hgtok
