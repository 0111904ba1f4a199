"""Train a classifier, register it, promote it and load it back: python train_and_register.py REGISTRY"""

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import skl2onnx
import sklearn
from onnx.reference import ReferenceEvaluator
from skl2onnx.common.data_types import FloatTensorType
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from modelreg import Registry

# 1. Train on scikit-learn's bundled iris data; save as ONNX (no pickle).
X, y = load_iris(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X.astype(np.float32), y, random_state=0)
params = {"C": 1.0, "max_iter": 500}
model = LogisticRegression(**params).fit(X_train, y_train)
out = Path(tempfile.mkdtemp()) / "model.onnx"
onnx_model = skl2onnx.to_onnx(
    model, initial_types=[("features", FloatTensorType([None, 4]))], options={"zipmap": False}
)
out.write_bytes(onnx_model.SerializeToString())

# 2. Register: artifacts tracked and pushed with DVC, the manifest committed; then promote by PR.
registry = Registry(sys.argv[1] if len(sys.argv) > 1 else ".")
result = registry.register(
    "iris-classifier",
    [out],
    bump="minor",
    metrics={"accuracy": float(model.score(X_test, y_test))},
    params=params,
    data={"training": "iris@sklearn-" + sklearn.__version__},
    description="Logistic regression on the iris measurements",
    owner="@acme/ml",
    framework=f"scikit-learn=={sklearn.__version__}",
    signature={
        "inputs": [{"name": "features", "type": "float32", "shape": [-1, 4]}],
        "outputs": [{"name": "label", "type": "int64", "shape": [-1]}],
    },
    requirements=[f"scikit-learn=={sklearn.__version__}", f"onnx=={onnx.__version__}"],
)
print("registered", result.ref, result.commit[:12])
# The registration commit lands on origin's main before its promotion is asked for (on a protected
# main, by a pull request of its own; this example's main takes a push).
subprocess.run(["git", "-C", str(registry.root), "push", "--quiet", "origin", "HEAD"], check=True)
promoted = registry.promote(result.ref, to="staging", reason="first candidate")
print("promotion branch", promoted.branch)

# 3. Load it back the way a service does, and check it predicts what was trained.
found = registry.get(result.ref)
with registry.open_artifact(found.ref) as f:
    loaded = onnx.load(f)
labels = ReferenceEvaluator(loaded).run(None, {"features": X_test})[0]
assert (labels == model.predict(X_test)).all()
print("loaded", found.ref, "accuracy", found.manifest.metrics["accuracy"])
