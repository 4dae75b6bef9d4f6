"""The Streamlit page scripts of qa-bot (run through ``st.navigation`` in ``app.py``)."""
