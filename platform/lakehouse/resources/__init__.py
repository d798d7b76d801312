"""Resources: Spark, the Delta IO manager (and the write and metadata it shares with the processing steps),
the `compute` resource's contract, MLflow, JDBC connections, table identity and the path catalog.

Built per profile by lakehouse/profile_resources.py (`build_resources`), which sits above the stages: this
package imports only config, so any stage may import it.
"""
