# JupyterLab with hospsim installed from environment.yml; the repository is mounted at /work/hospsim.
FROM mambaorg/micromamba:1.5-bookworm
WORKDIR /work/hospsim
COPY --chown=$MAMBA_USER:$MAMBA_USER . /work/hospsim
RUN micromamba install -y -n base -f environment.yml && micromamba clean --all --yes
EXPOSE 8888
# The token comes from JUPYTER_TOKEN, or JupyterLab makes one and prints it; --ip=0.0.0.0 is the container's
# side only (compose publishes the port on the host's 127.0.0.1).
# jupyter_server_config.py strips a course notebook's outputs when it is saved (the repository stays clean).
CMD ["jupyter", "lab", "--ip=0.0.0.0", "--port=8888", "--no-browser", "--config=jupyter_server_config.py", "--ServerApp.root_dir=/work/hospsim", "notebooks/00_setup.ipynb"]
