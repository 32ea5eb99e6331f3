"""The file ``spark-submit`` runs on a cluster (issue 21)::

    spark-submit --master yarn storage/province/job.py --engine spark STORE OUT.parquet

``STORE`` is a platform store folder (:mod:`storage.province.store`) where the driver and the
executors can read it: a shared disk, or a URL (``hdfs://…``, ``s3a://…``) whose ``persons`` and
``births`` folders Spark lists itself, hidden ``.part`` files left out. spark-submit's ``--master``
stands (``HECHA_SPARK_MASTER`` overrides it). ``OUT.parquet`` is written on the driver's disk.
Only the driver runs hecha's Python: the comparison is Spark SQL, so the executors need no hecha.
Same code as ``hecha platform link``.
"""

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a file, not from the package
    from storage.province.link import main

    main()
