"""Running the service: settings, opening the engine from them, loading it in the background and
serving each new build.
"""
